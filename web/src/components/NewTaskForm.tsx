import { useState } from "preact/hooks";
import { describeError } from "../lib/api.ts";
import { attachmentIds } from "../lib/files.ts";
import type { Route } from "../lib/route.ts";
import type { Session } from "../state/session.ts";
import { AttachButton, AttachmentChips } from "./AttachmentChips.tsx";
import { ErrorNote } from "./ErrorNote.tsx";
import { useAttachments } from "./use-attachments.ts";

interface Props {
	session: Session;
	navigate: (route: Route) => void;
}

/** `POST /api/tasks`; Enter adds it, Shift+Enter is a new line. Files attached (button, drop, paste) go with it. */
export function NewTaskForm({ session, navigate }: Props) {
	const [text, setText] = useState("");
	const [busy, setBusy] = useState(false);
	const [error, setError] = useState<string | undefined>();
	const { tray, dropTarget, onPaste } = useAttachments(session.files);

	const submit = async (event?: Event) => {
		event?.preventDefault();
		const instruction = text.trim();
		if (!instruction || busy || tray.uploading) return;
		if (tray.failed) {
			setError("Remove the files that could not be uploaded (or try them again) first.");
			return;
		}
		const files = tray.files();
		setBusy(true);
		setError(undefined);
		try {
			const task = await session.createTask(instruction, attachmentIds(files));
			setText("");
			tray.clear();
			navigate({ kind: "task", id: task.id });
		} catch (cause) {
			setError(describeError(cause));
		} finally {
			setBusy(false);
		}
	};

	return (
		<form class="new-task" onSubmit={submit} {...dropTarget}>
			<label for="new-task-input">New task</label>
			<textarea
				id="new-task-input"
				rows={2}
				value={text}
				placeholder="e.g. List files and summarise README.md"
				onInput={(e) => setText(e.currentTarget.value)}
				onPaste={onPaste}
				onKeyDown={(e) => {
					if (e.key === "Enter" && !e.shiftKey && !e.isComposing) void submit(e);
				}}
			/>
			<span class="new-task-actions">
				<button type="submit" class="small" disabled={busy || tray.uploading}>
					{busy ? "Adding…" : tray.uploading ? "Uploading…" : "Add task"}
				</button>
				<AttachButton tray={tray} />
			</span>
			<AttachmentChips tray={tray} />
			<ErrorNote error={error} />
		</form>
	);
}
