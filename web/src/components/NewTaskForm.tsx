import { useState } from "preact/hooks";
import { describeError } from "../lib/api.ts";
import type { Route } from "../lib/route.ts";
import type { Session } from "../state/session.ts";
import { ErrorNote } from "./ErrorNote.tsx";

interface Props {
	session: Session;
	navigate: (route: Route) => void;
}

/** `POST /api/tasks`; Enter adds it, Shift+Enter is a new line. */
export function NewTaskForm({ session, navigate }: Props) {
	const [text, setText] = useState("");
	const [busy, setBusy] = useState(false);
	const [error, setError] = useState<string | undefined>();

	const submit = async (event?: Event) => {
		event?.preventDefault();
		const instruction = text.trim();
		if (!instruction || busy) return;
		setBusy(true);
		setError(undefined);
		try {
			const task = await session.createTask(instruction);
			setText("");
			navigate({ kind: "task", id: task.id });
		} catch (cause) {
			setError(describeError(cause));
		} finally {
			setBusy(false);
		}
	};

	return (
		<form class="new-task" onSubmit={submit}>
			<label for="new-task-input">New task</label>
			<textarea
				id="new-task-input"
				rows={2}
				value={text}
				placeholder="e.g. List files and summarise README.md"
				onInput={(e) => setText(e.currentTarget.value)}
				onKeyDown={(e) => {
					if (e.key === "Enter" && !e.shiftKey && !e.isComposing) void submit(e);
				}}
			/>
			<button type="submit" class="small" disabled={busy}>
				{busy ? "Adding…" : "Add task"}
			</button>
			<ErrorNote error={error} />
		</form>
	);
}
