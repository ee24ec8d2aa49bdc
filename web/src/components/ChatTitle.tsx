import { useEffect, useRef, useState } from "preact/hooks";
import { describeError } from "../lib/api.ts";
import type { Session } from "../state/session.ts";
import { ErrorNote } from "./ErrorNote.tsx";

interface Props {
	session: Session;
	chatId: string;
	title: string;
}

/** The chat's title, with rename (inline form) and delete (after a confirmation). */
export function ChatTitle({ session, chatId, title }: Props) {
	const [editing, setEditing] = useState(false);
	const [draft, setDraft] = useState(title);
	const [error, setError] = useState<string | undefined>();
	const input = useRef<HTMLInputElement>(null);

	useEffect(() => {
		if (editing) input.current?.select();
	}, [editing]);

	const save = async (event: Event) => {
		event.preventDefault();
		const next = draft.trim();
		if (!next) return;
		try {
			await session.renameChat(chatId, next);
			setEditing(false);
			setError(undefined);
		} catch (cause) {
			setError(describeError(cause));
		}
	};

	const remove = async () => {
		if (!confirm(`Delete the chat "${title}" and its history?`)) return;
		try {
			await session.deleteChat(chatId);
		} catch (cause) {
			setError(describeError(cause));
		}
	};

	return (
		<header class="thread-head">
			<h2 id="thread-title" class={editing ? "visually-hidden" : "thread-title"} tabIndex={-1}>
				{title}
			</h2>
			{editing ? (
				<form class="rename" onSubmit={save}>
					<label for="chat-title-input">Chat title</label>
					<input
						id="chat-title-input"
						value={draft}
						maxLength={120}
						onInput={(e) => setDraft(e.currentTarget.value)}
						onKeyDown={(e) => e.key === "Escape" && setEditing(false)}
						ref={input}
					/>
					<button type="submit" class="small">
						Save
					</button>
					<button type="button" class="small quiet" onClick={() => setEditing(false)}>
						Cancel
					</button>
				</form>
			) : (
				<div class="thread-actions">
					<button
						type="button"
						class="small quiet"
						onClick={() => {
							setDraft(title);
							setEditing(true);
						}}
					>
						Rename
					</button>
					<button type="button" class="small quiet" onClick={remove}>
						Delete
					</button>
				</div>
			)}
			<ErrorNote error={error} />
		</header>
	);
}
