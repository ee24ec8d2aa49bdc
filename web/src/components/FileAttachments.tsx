import { useEffect, useRef, useState } from "preact/hooks";
import type { SparkyFile } from "../../../src/protocol/index.ts";
import { describeError } from "../lib/api.ts";
import { formatBytes, isImage, typeLabel } from "../lib/files.ts";

/** What showing a file needs: its bytes as an object URL, and a download. */
export interface FileBytes {
	url(id: string): Promise<string>;
	download(file: SparkyFile): Promise<void>;
}

interface Props {
	files: readonly SparkyFile[];
	bytes: FileBytes;
}

/** Files a message or task carries: images as thumbnails, every file as a chip with its name, type, size and Download. */
export function FileAttachments({ files, bytes }: Props) {
	if (files.length === 0) return null;
	return (
		<ul class="file-attachments" aria-label="Attached files">
			{files.map((file) => (
				<FileCard key={file.id} file={file} bytes={bytes} />
			))}
		</ul>
	);
}

function FileCard({ file, bytes }: { file: SparkyFile; bytes: FileBytes }) {
	const [error, setError] = useState<string | undefined>();
	const [busy, setBusy] = useState(false);
	const image = isImage(file.type);
	const download = async () => {
		setBusy(true);
		setError(undefined);
		try {
			await bytes.download(file);
		} catch (cause) {
			setError(`Could not download: ${describeError(cause)}`);
		} finally {
			setBusy(false);
		}
	};
	return (
		<li class="file-card" data-file-id={file.id} data-kind={image ? "image" : "file"}>
			{image && <Thumbnail file={file} bytes={bytes} />}
			<span class="chip-name" title={file.name}>
				{file.name}
			</span>
			<span class="chip-line">
				<span class="chip-size">
					{typeLabel(file.type)} · {formatBytes(file.size)}
				</span>
				<button type="button" class="link small file-download" disabled={busy} onClick={() => void download()}>
					Download<span class="visually-hidden"> {file.name}</span>
				</button>
			</span>
			{error && (
				<span class="chip-error" role="alert">
					{error}
				</span>
			)}
		</li>
	);
}

/** The image itself, small; its bytes are fetched once it is near the screen. */
function Thumbnail({ file, bytes }: { file: SparkyFile; bytes: FileBytes }) {
	const [src, setSrc] = useState<string | undefined>();
	const [failed, setFailed] = useState(false);
	const box = useRef<HTMLSpanElement>(null);
	useEffect(() => {
		const el = box.current;
		if (!el) return;
		let live = true;
		const load = () =>
			bytes.url(file.id).then(
				(url) => live && setSrc(url),
				() => live && setFailed(true),
			);
		if (typeof IntersectionObserver === "undefined") {
			void load();
			return () => {
				live = false;
			};
		}
		const seen = new IntersectionObserver(
			(entries) => {
				if (!entries.some((e) => e.isIntersecting)) return;
				seen.disconnect();
				void load();
			},
			{ rootMargin: "200px" },
		);
		seen.observe(el);
		return () => {
			live = false;
			seen.disconnect();
		};
	}, [file.id, bytes]);
	return (
		<span class="file-thumb" ref={box} data-loaded={src ? "true" : "false"}>
			{src ? (
				// Its name is beside it: the image repeats nothing for a screen reader.
				<img src={src} alt="" decoding="async" />
			) : (
				<span class="muted">{failed ? "No preview" : "Loading…"}</span>
			)}
		</span>
	);
}
