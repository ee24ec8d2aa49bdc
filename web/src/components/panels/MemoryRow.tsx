import { useEffect, useRef, useState } from "preact/hooks";
import { type Memory, MemoryLimits } from "../../../../src/protocol/index.ts";
import { describeError } from "../../lib/api.ts";
import { exactTime, firstLine, relativeTime } from "../../lib/format.ts";
import { parseTags, sourceOf } from "../../lib/memories.ts";
import { onNavClick } from "../../lib/nav-click.ts";
import { type Route, routePath } from "../../lib/route.ts";
import type { MemoryList } from "../../state/memory-list.ts";
import type { Session } from "../../state/session.ts";

interface Props {
	memory: Memory;
	list: MemoryList;
	session: Session;
	navigate: (route: Route) => void;
	/** After a delete: the row is gone, focus needs a new home. */
	onDeleted: () => void;
}

/** One memory: its text, tags and origin; pin, edit in place (text and tags), delete. */
export function MemoryRow({ memory, list, session, navigate, onDeleted }: Props) {
	const [editing, setEditing] = useState(false);
	const [error, setError] = useState<string | undefined>();
	const [busy, setBusy] = useState(false);
	const editButton = useRef<HTMLButtonElement>(null);
	const name = firstLine(memory.text, 40);

	const run = async (action: () => Promise<unknown>): Promise<boolean> => {
		setBusy(true);
		try {
			await action();
			setError(undefined);
			return true;
		} catch (cause) {
			setError(describeError(cause));
			return false;
		} finally {
			setBusy(false);
		}
	};
	const togglePin = () => void run(() => list.update(memory.id, { pinned: !memory.pinned }));
	const remove = async () => {
		if (!confirm(`Delete the memory "${firstLine(memory.text, 80)}"? Sparky will no longer remember it.`)) return;
		if (await run(() => list.remove(memory.id))) onDeleted();
	};
	const closeEditor = () => {
		setEditing(false);
		// The editor's buttons are gone: focus goes back to what opened it.
		requestAnimationFrame(() => editButton.current?.focus());
	};

	return (
		<li class="memory" data-memory-id={memory.id} data-pinned={memory.pinned ? "true" : "false"}>
			{editing ? (
				<MemoryEditor
					memory={memory}
					busy={busy}
					onSave={async (change) => {
						if (await run(() => list.update(memory.id, change))) closeEditor();
					}}
					onCancel={closeEditor}
				/>
			) : (
				<>
					<p class="memory-text">
						{memory.pinned && (
							<>
								<span class="badge badge-pinned">pinned</span>{" "}
							</>
						)}
						{memory.text}
					</p>
					{memory.tags.length > 0 && (
						<ul class="tag-list" aria-label="Tags">
							{memory.tags.map((tag) => (
								<li key={tag} class="badge tag">
									{tag}
								</li>
							))}
						</ul>
					)}
					<p class="muted memory-meta">
						From <Source memory={memory} session={session} navigate={navigate} /> ·{" "}
						<span title={exactTime(memory.created_at)}>saved {relativeTime(memory.created_at)}</span>
						{memory.updated_at > memory.created_at && (
							<span title={exactTime(memory.updated_at)}> · edited {relativeTime(memory.updated_at)}</span>
						)}
						{memory.recalled_at !== null && (
							<span title={exactTime(memory.recalled_at)}> · last used {relativeTime(memory.recalled_at)}</span>
						)}
					</p>
					<div class="row-actions">
						<button type="button" class="quiet small" disabled={busy} onClick={togglePin}>
							{memory.pinned ? "Unpin" : "Pin"}
							<span class="visually-hidden"> {name}</span>
						</button>
						<button type="button" class="quiet small" ref={editButton} onClick={() => setEditing(true)}>
							Edit<span class="visually-hidden"> {name}</span>
						</button>
						<button type="button" class="danger small" disabled={busy} onClick={() => void remove()}>
							Delete<span class="visually-hidden"> {name}</span>
						</button>
					</div>
				</>
			)}
			{error && (
				<p class="error" role="alert">
					{error}
				</p>
			)}
		</li>
	);
}

/** Where the memory came from: a link to its chat or task, or a few words. */
function Source({ memory, session, navigate }: Pick<Props, "memory" | "session" | "navigate">) {
	const source = sourceOf(memory.source);
	if (!source.route) return <span class="memory-source">{source.label}</span>;
	const route = source.route;
	// A chat's title or a task's instruction, when this page knows it, says more than "a chat".
	const known =
		route.kind === "chat"
			? session.timeline.chats().find((c) => c.id === route.id)?.title
			: route.kind === "task"
				? session.timeline.task(route.id)?.instruction
				: undefined;
	return (
		<a class="memory-source" href={routePath(route)} onClick={(e) => onNavClick(e, () => navigate(route))}>
			{source.label}
			{known ? `: ${firstLine(known, 50)}` : ""}
		</a>
	);
}

interface EditorProps {
	memory: Memory;
	busy: boolean;
	onSave: (change: { text?: string; tags?: string[] }) => void;
	onCancel: () => void;
}

/** The row in place as a form: its text and tags; Escape or Cancel leaves it as it was. */
function MemoryEditor({ memory, busy, onSave, onCancel }: EditorProps) {
	const [text, setText] = useState(memory.text);
	const [tags, setTags] = useState(memory.tags.join(", "));
	const textarea = useRef<HTMLTextAreaElement>(null);
	const ids = { text: `memory-text-${memory.id}`, tags: `memory-tags-${memory.id}` };

	useEffect(() => textarea.current?.focus(), []);

	const save = (e: Event) => {
		e.preventDefault();
		const nextTags = parseTags(tags);
		const change = {
			...(text.trim() !== memory.text ? { text: text.trim() } : {}),
			...(nextTags.join(",") !== memory.tags.join(",") ? { tags: nextTags } : {}),
		};
		if (Object.keys(change).length === 0) onCancel();
		else onSave(change);
	};
	return (
		<form
			class="stack-form memory-editor"
			onSubmit={save}
			onKeyDown={(e) => {
				if (e.key === "Escape") onCancel();
			}}
		>
			<label for={ids.text}>Memory text</label>
			<textarea
				id={ids.text}
				ref={textarea}
				rows={3}
				required
				maxLength={MemoryLimits.textChars}
				value={text}
				onInput={(e) => setText(e.currentTarget.value)}
			/>
			<div class="inline-form">
				<span class="field">
					<label for={ids.tags}>Tags</label>
					<input id={ids.tags} value={tags} onInput={(e) => setTags(e.currentTarget.value)} />
				</span>
				<button type="submit" class="small" disabled={busy}>
					Save
				</button>
				<button type="button" class="quiet small" onClick={onCancel}>
					Cancel
				</button>
			</div>
		</form>
	);
}
