import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { SparkyFile } from "../../../../src/protocol/index.ts";
import { describeError } from "../../lib/api.ts";
import { formatBytes, typeLabel } from "../../lib/files.ts";
import { exactTime, relativeTime } from "../../lib/format.ts";
import { FileList } from "../../state/file-list.ts";
import type { Session } from "../../state/session.ts";

interface Props {
	session: Session;
}

/** "1 file", "3 files". */
const filesCount = (n: number) => `${n} ${n === 1 ? "file" : "files"}`;

/** The user's uploads (`/api/files`): name, type, size, when, whether something carries it; download, delete. */
export function FilesPanel({ session }: Props) {
	const [, setVersion] = useState(0);
	const list = useMemo(() => new FileList(session.files.api, () => setVersion((v) => v + 1)), [session]);
	const heading = useRef<HTMLHeadingElement>(null);

	useEffect(() => {
		void list.reload();
	}, [list]);

	return (
		<section class="panel files-panel" aria-labelledby="panel-heading">
			<h2 id="panel-heading">Files</h2>
			<p class="muted">
				Files you attached to messages and tasks. Only you can see them. An upload that nothing carries (the message was
				never sent) is deleted after a while.
			</p>
			<section class="panel-section" aria-labelledby="file-list-heading">
				<h3 id="file-list-heading" ref={heading} tabIndex={-1}>
					Your uploads
				</h3>
				<p class="muted file-count" role="status">
					{list.loading && !list.loaded
						? "Loading…"
						: list.rows.length === 0
							? "No files yet: attach one to a message or a task."
							: `${filesCount(list.rows.length)}${list.nextCursor ? " shown" : ""}`}
				</p>
				{list.error && (
					<p class="error" role="alert">
						{list.error}{" "}
						<button type="button" class="link" onClick={() => void list.reload()}>
							Retry
						</button>
					</p>
				)}
				<ul class="plain-list file-list" aria-labelledby="file-list-heading">
					{list.rows.map((file) => (
						<FileRow
							key={file.id}
							file={file}
							list={list}
							session={session}
							onDeleted={() => heading.current?.focus()}
						/>
					))}
				</ul>
				{list.nextCursor && (
					<button type="button" class="quiet" disabled={list.loading} onClick={() => void list.loadMore()}>
						{list.loading ? "Loading…" : "Load more"}
					</button>
				)}
			</section>
		</section>
	);
}

interface RowProps {
	file: SparkyFile;
	list: FileList;
	session: Session;
	/** After a delete: the row is gone, focus needs a new home. */
	onDeleted: () => void;
}

function FileRow({ file, list, session, onDeleted }: RowProps) {
	const [busy, setBusy] = useState(false);
	const [error, setError] = useState<string | undefined>();
	const run = async (action: () => Promise<void>): Promise<boolean> => {
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
	const remove = async () => {
		if (!confirm(`Delete the file "${file.name}"? This can't be undone.`)) return;
		if (await run(() => list.remove(file.id))) onDeleted();
	};
	return (
		<li class="file-row" data-file-id={file.id} data-attached={file.attached ? "true" : "false"}>
			<p class="file-name">{file.name}</p>
			<p class="muted file-meta">
				{typeLabel(file.type)} · {formatBytes(file.size)} ·{" "}
				<span title={exactTime(file.created_at)}>uploaded {relativeTime(file.created_at)}</span>
				{file.attached ? " · attached" : " · not attached yet"}
			</p>
			<div class="row-actions">
				<button
					type="button"
					class="quiet small"
					disabled={busy}
					onClick={() => void run(() => session.files.download(file))}
				>
					Download<span class="visually-hidden"> {file.name}</span>
				</button>
				<button type="button" class="danger small" disabled={busy} onClick={() => void remove()}>
					Delete<span class="visually-hidden"> {file.name}</span>
				</button>
			</div>
			{error && (
				<p class="error" role="alert">
					{error}
				</p>
			)}
		</li>
	);
}
