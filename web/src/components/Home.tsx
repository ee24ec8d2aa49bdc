import { useEffect, useRef, useState } from "preact/hooks";
import { describeError } from "../lib/api.ts";
import { EXAMPLES } from "../lib/examples.ts";
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

/**
 * Nothing open yet: one box that starts a chat with its first message (or runs it as a
 * background task), and examples that start a chat in one click.
 */
export function Home({ session, navigate }: Props) {
	const [text, setText] = useState("");
	const [busy, setBusy] = useState(false);
	const [error, setError] = useState<string | undefined>();
	const input = useRef<HTMLTextAreaElement>(null);
	const isAgent = session.me.user_id === "agent";
	const { tray, dropTarget, onPaste } = useAttachments(session.files);

	useEffect(() => {
		// "New task" in the header lands here: the box is where to type it.
		if (session.homeFocus) input.current?.focus();
		session.homeFocus = false;
	}, [session.homeFocus]);

	const start = async (how: "chat" | "task", message = text.trim()) => {
		if (!message || busy || tray.uploading) return;
		if (tray.failed) {
			setError("Remove the files that could not be uploaded (or try them again) first.");
			return;
		}
		const files = tray.files();
		const attachments = attachmentIds(files);
		setBusy(true);
		setError(undefined);
		try {
			if (how === "task") {
				const task = await session.createTask(message, attachments);
				tray.clear();
				navigate({ kind: "task", id: task.id });
			} else {
				const chat = await session.newChat();
				// Over HTTP: it works while the socket is still connecting (right after a load).
				const sent = await session.api.request<{ message_id?: string }>(
					"POST",
					`/api/chats/${encodeURIComponent(chat.id)}/messages`,
					{ text: message, ...attachments },
				);
				if (sent?.message_id) session.files.noteMessage(sent.message_id, files);
				tray.clear();
				navigate({ kind: "chat", id: chat.id });
			}
		} catch (cause) {
			setError(describeError(cause));
			setBusy(false);
		}
	};

	return (
		<section class="home" aria-labelledby="home-heading">
			<h2 id="home-heading">What should Sparky do?</h2>
			<form
				class="home-form"
				onSubmit={(e) => {
					e.preventDefault();
					void start("chat");
				}}
				{...dropTarget}
			>
				<label for="home-input">Ask Sparky</label>
				<textarea
					id="home-input"
					ref={input}
					rows={3}
					value={text}
					placeholder="e.g. List the files in my workspace"
					onInput={(e) => setText(e.currentTarget.value)}
					onPaste={onPaste}
					onKeyDown={(e) => {
						if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
							e.preventDefault();
							void start("chat");
						}
					}}
				/>
				<div class="home-actions">
					<button type="submit" disabled={busy || tray.uploading}>
						Start chat
					</button>
					<button type="button" class="quiet" disabled={busy || tray.uploading} onClick={() => void start("task")}>
						Run as background task
					</button>
					<AttachButton tray={tray} />
				</div>
				<AttachmentChips tray={tray} />
				<ErrorNote error={error} />
			</form>
			<h3 id="examples-heading">Try one</h3>
			<ul class="examples" aria-labelledby="examples-heading">
				{EXAMPLES.map((example) => (
					<li key={example}>
						<button type="button" class="example" disabled={busy} onClick={() => void start("chat", example)}>
							{example}
						</button>
					</li>
				))}
			</ul>
			<p class="muted">
				A chat answers as it writes, with every tool call inline; a background task runs on its own and shows under{" "}
				<em>Agent activity</em>.{" "}
				{isAgent
					? "You are signed in as agent: every task anyone gives the agent appears there, live."
					: "Sign in as agent to watch every task the agent runs, whoever asked for it."}
			</p>
		</section>
	);
}
