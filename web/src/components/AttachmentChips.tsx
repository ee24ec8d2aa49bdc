import { useRef } from "preact/hooks";
import { formatBytes } from "../lib/files.ts";
import type { Attachment, AttachmentTray } from "../state/attachments.ts";

/**
 * The Attach button: a file picker (several at once). The input itself stays hidden: the
 * button is what the keyboard and screen readers meet.
 */
export function AttachButton({ tray, disabled }: { tray: AttachmentTray; disabled?: boolean }) {
	const input = useRef<HTMLInputElement>(null);
	return (
		<>
			<input
				ref={input}
				type="file"
				multiple
				hidden
				aria-label="Files to attach"
				class="attach-input"
				onChange={(e) => {
					const picked = e.currentTarget.files;
					if (picked?.length) tray.add(picked);
					e.currentTarget.value = ""; // the same file may be picked again
				}}
			/>
			<button
				type="button"
				class="quiet small attach-button"
				disabled={disabled || tray.items.length >= tray.max}
				onClick={() => input.current?.click()}
			>
				Attach files
			</button>
		</>
	);
}

/** The tray's files as chips: name, size, upload progress or what went wrong; Remove (and Retry). */
export function AttachmentChips({ tray }: { tray: AttachmentTray }) {
	if (tray.items.length === 0 && !tray.note) return null;
	return (
		<div class="attachment-tray">
			{tray.items.length > 0 && (
				<ul class="attachment-chips" aria-label="Files to send">
					{tray.items.map((item) => (
						<Chip key={item.key} item={item} tray={tray} />
					))}
				</ul>
			)}
			{tray.note && (
				<p class="muted attachment-note" role="status">
					{tray.note}
				</p>
			)}
		</div>
	);
}

function Chip({ item, tray }: { item: Attachment; tray: AttachmentTray }) {
	const name = item.file.name || "file";
	const percent = Math.round(item.progress * 100);
	return (
		<li
			class="attachment-chip"
			data-state={item.state}
			data-progress={percent}
			data-file-id={item.uploaded?.id}
			title={name}
		>
			<span class="chip-line">
				<span class="chip-name">{name}</span>
				<span class="chip-size">{formatBytes(item.uploaded?.size ?? item.file.size)}</span>
				{item.state === "error" && (
					<button type="button" class="link small" onClick={() => tray.retry(item.key)}>
						Retry<span class="visually-hidden"> {name}</span>
					</button>
				)}
				<button type="button" class="chip-remove" aria-label={`Remove ${name}`} onClick={() => tray.remove(item.key)}>
					×
				</button>
			</span>
			{item.state === "uploading" && (
				<progress class="chip-progress" max={100} value={percent} aria-label={`Uploading ${name}`}>
					{percent}%
				</progress>
			)}
			{item.state === "error" ? (
				<span class="chip-error" role="alert">
					{item.error}
				</span>
			) : (
				<span class="chip-status">{item.state === "done" ? "Uploaded" : `Uploading… ${percent}%`}</span>
			)}
		</li>
	);
}
