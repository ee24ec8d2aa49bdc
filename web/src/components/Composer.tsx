import { useEffect, useRef, useState } from "preact/hooks";
import { describeError } from "../lib/api.ts";

interface Props {
	onSend: (text: string) => Promise<void>;
	onStop: () => Promise<void>;
	/** A turn is running: offer to stop it. */
	running: boolean;
	autoFocus?: boolean;
}

/** The message box: Enter sends, Shift+Enter is a new line. A failed send keeps the text. */
export function Composer({ onSend, onStop, running, autoFocus }: Props) {
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
		if (!message || busy) return;
		setBusy(true);
		setError(undefined);
		setText("");
		try {
			await onSend(message);
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
				onKeyDown={(e) => {
					if (e.key === "Enter" && !e.shiftKey && !e.isComposing) void send(e);
				}}
			/>
			<div class="composer-actions">
				<button type="submit" disabled={busy}>
					{busy ? "Sending…" : "Send"}
				</button>
				{running && (
					<button type="button" class="danger" onClick={stop} disabled={stopping} aria-disabled={stopping}>
						{stopping ? "Stopping…" : "Stop"}
					</button>
				)}
			</div>
			{error && (
				<p id="composer-error" class="error" role="alert">
					{error}
				</p>
			)}
		</form>
	);
}
