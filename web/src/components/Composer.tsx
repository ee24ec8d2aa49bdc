import { useEffect, useRef, useState } from "preact/hooks";
import type { SendPolicy, SparkyFile } from "../../../src/protocol/index.ts";
import { describeError } from "../lib/api.ts";
import { AttachButton, AttachmentChips } from "./AttachmentChips.tsx";
import type { Attachments } from "./use-attachments.ts";

interface Props {
	/** `policy`: what the message does while a turn runs (the Steer button's `steer`); absent: the chat's. */
	onSend: (text: string, files: SparkyFile[], policy?: SendPolicy) => Promise<void>;
	onStop: () => Promise<void>;
	/** A turn is running: offer to stop it. */
	running: boolean;
	/**
	 * A turn is running or waiting for an approval: a message may join it (Steer, Ctrl+Enter),
	 * and the chat's default for Send can be changed.
	 */
	answering?: boolean;
	/** The chat's default policy (what Send does while a turn runs). */
	policy?: SendPolicy;
	onPolicy?: (policy: SendPolicy) => Promise<void>;
	autoFocus?: boolean;
	/** The files the message will carry (the chat's: files may be dropped anywhere on it). */
	attachments: Attachments;
}

/** What Send does while Sparky answers, per the chat's policy (the select's options). */
const POLICIES: { value: SendPolicy; option: string; send: string }[] = [
	{ value: "queue", option: "waits for the answer to end", send: "waits for this answer to end" },
	{ value: "interrupt", option: "stops the answer and is answered", send: "stops this answer, then is answered" },
	{ value: "steer", option: "joins the running answer", send: "joins this answer at its next step" },
	{ value: "reject", option: "is refused", send: "is refused until this answer ends" },
];

/**
 * The message box: Enter sends, Shift+Enter is a new line; files attached (button, drop,
 * paste) upload at once and go with the message. A failed send keeps the text and the files.
 * While Sparky answers, Steer (Ctrl/Cmd+Enter) adds the message to the running answer, and
 * the chat's setting says what Send does meanwhile (docs/page.md, "Steering").
 */
export function Composer(props: Props) {
	const { onSend, onStop, running, autoFocus, attachments, answering = false, policy = "queue", onPolicy } = props;
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

	const [savingPolicy, setSavingPolicy] = useState(false);

	const send = async (event?: Event, how?: SendPolicy) => {
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
			await onSend(message, files, how);
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

	const changePolicy = async (next: SendPolicy) => {
		if (!onPolicy || next === policy) return;
		setError(undefined);
		setSavingPolicy(true);
		try {
			await onPolicy(next);
		} catch (cause) {
			setError(`Setting not changed: ${describeError(cause)}`);
		} finally {
			setSavingPolicy(false);
		}
	};

	const sendWords = POLICIES.find((p) => p.value === policy)?.send ?? "waits for this answer to end";
	const described = [error ? "composer-error" : "", answering ? "composer-steer-hint" : ""].filter(Boolean).join(" ");

	return (
		<form class="composer" onSubmit={(e) => send(e)}>
			<label for="composer-input" class="visually-hidden">
				Message
			</label>
			<textarea
				id="composer-input"
				ref={input}
				rows={2}
				value={text}
				placeholder={
					answering
						? "Message Sparky (Enter to send, Ctrl+Enter to steer, Shift+Enter for a new line)"
						: "Message Sparky (Enter to send, Shift+Enter for a new line)"
				}
				aria-describedby={described || undefined}
				onInput={(e) => setText(e.currentTarget.value)}
				onPaste={onPaste}
				onKeyDown={(e) => {
					if (e.key !== "Enter" || e.shiftKey || e.isComposing) return;
					// Ctrl/Cmd+Enter steers while Sparky answers; otherwise it sends like Enter.
					void send(e, answering && (e.ctrlKey || e.metaKey) ? "steer" : undefined);
				}}
			/>
			{/* Send first: Tab goes from the message to Send; the chips (shown under the box) after. */}
			<div class="composer-actions">
				<button type="submit" disabled={busy || tray.uploading}>
					{busy ? "Sending…" : tray.uploading ? "Uploading…" : "Send"}
				</button>
				{answering && (
					<button
						type="button"
						class="steer"
						title="Add to the running answer (Ctrl+Enter)"
						aria-describedby="composer-steer-hint"
						aria-keyshortcuts="Control+Enter Meta+Enter"
						disabled={busy || tray.uploading}
						onClick={(e) => send(e, "steer")}
					>
						Steer
					</button>
				)}
				{running && (
					<button type="button" class="danger" onClick={stop} disabled={stopping} aria-disabled={stopping}>
						{stopping ? "Stopping…" : "Stop"}
					</button>
				)}
				<AttachButton tray={tray} />
			</div>
			<AttachmentChips tray={tray} />
			{answering && (
				<div class="composer-policy">
					<p id="composer-steer-hint" class="muted">
						Sparky is answering. <strong>Steer</strong> (Ctrl+Enter) adds your message to the running answer: it is read
						at the next step. <strong>Send</strong> {sendWords}.
					</p>
					{onPolicy && (
						<label class="composer-policy-choice">
							<span>In this chat, while Sparky answers, Send</span>
							<select
								value={policy}
								disabled={savingPolicy}
								onChange={(e) => void changePolicy(e.currentTarget.value as SendPolicy)}
							>
								{POLICIES.map((p) => (
									<option key={p.value} value={p.value}>
										{p.option}
									</option>
								))}
							</select>
						</label>
					)}
				</div>
			)}
			{error && (
				<p id="composer-error" class="error" role="alert">
					{error}
				</p>
			)}
		</form>
	);
}
