import { useEffect, useRef, useState } from "preact/hooks";
import type { SparkyFile } from "../../../src/protocol/index.ts";
import { describeError } from "../lib/api.ts";
import { AttachButton, AttachmentChips } from "./AttachmentChips.tsx";
import type { Attachments } from "./use-attachments.ts";

interface Props {
	onSend: (text: string, files: SparkyFile[]) => Promise<void>;
	onStop: () => Promise<void>;
	/** A turn is running: offer to stop it. */
	running: boolean;
	autoFocus?: boolean;
	/** The files the message will carry (the chat's: files may be dropped anywhere on it). */
	attachments: Attachments;
}

/**
 * The message box: Enter sends, Shift+Enter is a new line; files attached (button, drop,
 * paste) upload at once and go with the message. A failed send keeps the text and the files.
 */
export function Composer({ onSend, onStop, running, autoFocus, attachments }: Props) {
	const { tray, onPaste } = attachments;
	const [text, setText] = useState("");
	const [busy, setBusy] = useState(false);
	const [error, setError] = useState<string | undefined>();
	const [stopping, setStopping] = useState(false);
	const input = useRef<HTMLTextAreaElement>(null);

	// "Stopping…" lasts until the turn has really ended (its run line then says "stopped").
	useEffect(() => {
		if (!running) setStopping(false);
	}, [running]);

	useEffect(() => {
		if (autoFocus) input.current?.focus();
	}, [autoFocus]);

	const send = async (event?: Event) => {
		event?.preventDefault();
		const message = text.trim();
		if (busy || tray.uploading) return;
		if (tray.failed) {
			setError("Remove the files that could not be uploaded (or try them again) first.");
			return;
		}
		const files = tray.files();
		if (!message) {
			if (files.length > 0) setError("Write a message to go with the files.");
			return;
		}
		setBusy(true);
		setError(undefined);
		setText("");
		try {
			await onSend(message, files);
			tray.clear();
		} catch (cause) {
			setText((current) => current || message);
			setError(`Not sent: ${describeError(cause)}`);
		} finally {
			setBusy(false);
			input.current?.focus();
		}
	};

	const stop = async () => {
		setError(undefined);
		setStopping(true);
		// The Stop button goes away with the turn: the keyboard user's place is the message box.
		input.current?.focus();
		try {
			await onStop();
		} catch (cause) {
			setStopping(false);
			setError(`Could not stop: ${describeError(cause)}`);
		}
	};

	return (
		<form class="composer" onSubmit={send}>
			<label for="composer-input" class="visually-hidden">
				Message
			</label>
			<textarea
				id="composer-input"
				ref={input}
				rows={2}
				value={text}
				placeholder="Message Sparky (Enter to send, Shift+Enter for a new line)"
				aria-describedby={error ? "composer-error" : undefined}
				onInput={(e) => setText(e.currentTarget.value)}
				onPaste={onPaste}
				onKeyDown={(e) => {
					if (e.key === "Enter" && !e.shiftKey && !e.isComposing) void send(e);
				}}
			/>
			{/* Send first: Tab goes from the message to Send; the chips (shown under the box) after. */}
			<div class="composer-actions">
				<button type="submit" disabled={busy || tray.uploading}>
					{busy ? "Sending…" : tray.uploading ? "Uploading…" : "Send"}
				</button>
				{running && (
					<button type="button" class="danger" onClick={stop} disabled={stopping} aria-disabled={stopping}>
						{stopping ? "Stopping…" : "Stop"}
					</button>
				)}
				<AttachButton tray={tray} />
			</div>
			<AttachmentChips tray={tray} />
			{error && (
				<p id="composer-error" class="error" role="alert">
					{error}
				</p>
			)}
		</form>
	);
}
