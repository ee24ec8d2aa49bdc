import { useEffect, useRef, useState } from "preact/hooks";
import type { ApprovalView } from "../../../../src/client/index.ts";
import { FrameError } from "../../../../src/client/index.ts";
import { describeError } from "../../lib/api.ts";
import { formatTime } from "../../lib/format.ts";
import { ErrorNote } from "../ErrorNote.tsx";
import { StatusBadge } from "../StatusBadge.tsx";
import { CodeBlock } from "./CodeBlock.tsx";

export type Decide = (approval: ApprovalView, approved: boolean, reason?: string) => Promise<void>;

interface Props {
	approval: ApprovalView;
	/** How to decide (absent: read-only: the viewer may watch, not decide). */
	onDecide?: Decide;
	/** The signed-in user (shown as "you"). */
	me?: string;
	/** Whether to show the input once decided (the tool call above shows it already). */
	decidedInput?: boolean;
}

/** The longest reason the API takes. */
const REASON_MAX = 500;

/**
 * A tool call waiting for a person: the tool, its input, when it expires, Approve and Deny
 * (with an optional reason); afterwards who decided, when, and why. Its status line is a
 * live region, so a screen reader hears it appear and hears the decision.
 */
export function ApprovalCard({ approval: a, onDecide, me, decidedInput = true }: Props) {
	const [reason, setReason] = useState("");
	const [busy, setBusy] = useState<"approve" | "deny" | undefined>();
	const [error, setError] = useState<string | undefined>();
	// The server refused this viewer's decision: the controls go, the card says why.
	const [refused, setRefused] = useState(false);
	const statusRef = useRef<HTMLParagraphElement>(null);
	const decidedHere = useRef(false);
	const pending = a.status === "pending";
	// Only whoever may decide sees Approve and Deny (GET /api/tasks/:id's can_decide).
	const mayDecide = !!onDecide && a.canDecide !== false && !refused;
	const headingId = `approval-${a.id}-title`;
	const reasonId = `approval-${a.id}-reason`;

	// The buttons go once it is decided: keep the keyboard user's place on the card's status.
	useEffect(() => {
		if (!pending && decidedHere.current) {
			decidedHere.current = false;
			statusRef.current?.focus();
		}
	}, [pending]);

	const decide = async (approved: boolean) => {
		if (!onDecide || busy) return;
		setBusy(approved ? "approve" : "deny");
		setError(undefined);
		decidedHere.current = true;
		try {
			const why = reason.trim();
			await onDecide(a, approved, why ? why : undefined);
		} catch (cause) {
			decidedHere.current = false;
			if (cause instanceof FrameError && cause.code === "forbidden") setRefused(true);
			setError(`Not decided: ${describeError(cause)}`);
		} finally {
			setBusy(undefined);
		}
	};

	const who = (id: string | undefined) => (id ? (id === me ? `you (${id})` : id) : "someone");
	const status = pending
		? mayDecide
			? `${a.tool} needs your approval before it runs.`
			: `${a.tool} waits for ${a.owner ? `${a.owner}'s` : "its owner's"} approval before it runs (you may watch, not decide).`
		: a.status === "approved"
			? `Approved by ${who(a.decidedBy)}${a.decidedAt ? ` at ${formatTime(a.decidedAt)}` : ""}.`
			: a.status === "denied"
				? `Denied by ${who(a.decidedBy)}${a.decidedAt ? ` at ${formatTime(a.decidedAt)}` : ""}.`
				: `Expired${a.decidedAt ? ` at ${formatTime(a.decidedAt)}` : ""}: nobody decided in time.`;

	return (
		<section
			class={`approval-card approval-${a.status}`}
			aria-labelledby={headingId}
			data-approval-id={a.id}
			data-status={a.status}
		>
			<div class="approval-head">
				<h3 id={headingId} class="approval-title">
					{pending ? "Approval needed" : "Approval"}: <code>{a.tool || "tool"}</code>
				</h3>
				{!pending && <StatusBadge status={a.status} />}
			</div>
			<p class="approval-status" role="status" tabIndex={-1} ref={statusRef}>
				{status}
				{!pending && a.reason && (
					<>
						{" "}
						<span class="approval-reason">Reason: {a.reason}</span>
					</>
				)}
			</p>
			{(pending || decidedInput) && (
				<CodeBlock label="Input" text={a.input === undefined ? "(not known yet)" : JSON.stringify(a.input, null, 2)} />
			)}
			<p class="approval-meta muted">
				<code>{a.id}</code>
				{pending && a.expiresAt !== undefined && (
					<>
						{" · "}Expires <time dateTime={new Date(a.expiresAt).toISOString()}>{formatTime(a.expiresAt)}</time>
					</>
				)}
			</p>
			{pending && mayDecide && (
				<form
					class="approval-actions"
					onSubmit={(e) => {
						e.preventDefault();
						void decide(false);
					}}
				>
					<div class="approval-reason-field">
						<label for={reasonId}>Reason for denying (optional)</label>
						<input
							id={reasonId}
							type="text"
							maxLength={REASON_MAX}
							value={reason}
							disabled={!!busy}
							onInput={(e) => setReason(e.currentTarget.value)}
						/>
					</div>
					<div class="approval-buttons">
						<button
							type="button"
							class="approve"
							disabled={!!busy}
							aria-label={`Approve ${a.tool}`}
							onClick={() => void decide(true)}
						>
							{busy === "approve" ? "Approving…" : "Approve"}
						</button>
						<button type="submit" class="danger" disabled={!!busy} aria-label={`Deny ${a.tool}`}>
							{busy === "deny" ? "Denying…" : "Deny"}
						</button>
					</div>
				</form>
			)}
			<ErrorNote error={error} />
		</section>
	);
}
