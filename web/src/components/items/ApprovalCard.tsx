import { useEffect, useRef, useState } from "preact/hooks";
import type { ApprovalView, BudgetAsk } from "../../../../src/client/index.ts";
import { budgetQuestion, FrameError, formatUsd, parseBudgetAsk } from "../../../../src/client/index.ts";
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
 * live region, so a screen reader hears it appear and hears the decision. A task that spent
 * its budget (`kind: "budget"`) asks in money instead: "Spent $0.48 of $0.50. Allow $0.50
 * more?", with Allow and Stop.
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
	const budget = a.kind === "budget";
	const ask = budget ? parseBudgetAsk(a.input) : undefined;
	const at = a.decidedAt ? ` at ${formatTime(a.decidedAt)}` : "";
	const status = budget
		? budgetStatus(a, ask, mayDecide, who, at)
		: pending
			? mayDecide
				? `${a.tool} needs your approval before it runs.`
				: `${a.tool} waits for ${a.owner ? `${a.owner}'s` : "its owner's"} approval before it runs (you may watch, not decide).`
			: a.status === "approved"
				? `Approved by ${who(a.decidedBy)}${at}.`
				: a.status === "denied"
					? `Denied by ${who(a.decidedBy)}${at}.`
					: `Expired${at}: nobody decided in time.`;

	return (
		<section
			class={`approval-card approval-${a.status}`}
			aria-labelledby={headingId}
			data-approval-id={a.id}
			data-status={a.status}
		>
			<div class="approval-head">
				<h3 id={headingId} class="approval-title">
					{budget ? (
						pending ? (
							"Budget reached"
						) : (
							"Budget"
						)
					) : (
						<>
							{pending ? "Approval needed" : "Approval"}: <code>{a.tool || "tool"}</code>
						</>
					)}
				</h3>
				{!pending && <StatusBadge status={budget && a.status === "denied" ? "stopped" : a.status} />}
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
			{budget
				? pending &&
					ask?.estimate_usd !== undefined && (
						<p class="approval-estimate muted">The next model call is estimated at {formatUsd(ask.estimate_usd)}.</p>
					)
				: (pending || decidedInput) && (
						<CodeBlock
							label="Input"
							text={a.input === undefined ? "(not known yet)" : JSON.stringify(a.input, null, 2)}
						/>
					)}
			<p class="approval-meta muted">
				<code>{a.id}</code>
				{pending && a.expiresAt !== undefined && (
					<>
						{" · "}Expires <time dateTime={new Date(a.expiresAt).toISOString()}>{formatTime(a.expiresAt)}</time>
					</>
				)}
			</p>
			{pending && mayDecide && budget && (
				<form
					class="approval-actions"
					onSubmit={(e) => {
						e.preventDefault();
						void decide(false);
					}}
				>
					<div class="approval-buttons">
						<button
							type="button"
							class="approve"
							disabled={!!busy}
							aria-label={ask ? `Allow ${formatUsd(ask.more_usd)} more` : "Allow more spending"}
							onClick={() => void decide(true)}
						>
							{busy === "approve" ? "Allowing…" : "Allow"}
						</button>
						<button type="submit" class="danger" disabled={!!busy} aria-label="Stop the task">
							{busy === "deny" ? "Stopping…" : "Stop"}
						</button>
					</div>
				</form>
			)}
			{pending && mayDecide && !budget && (
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

/** What a budget approval's status line says: the question while it waits, then who answered and how. */
function budgetStatus(
	a: ApprovalView,
	ask: BudgetAsk | undefined,
	mayDecide: boolean,
	who: (id: string | undefined) => string,
	at: string,
): string {
	const more = ask ? `${formatUsd(ask.more_usd)} more` : "more";
	if (a.status === "pending") {
		if (mayDecide) return ask ? budgetQuestion(ask) : "The task has spent its budget. Allow it to spend more?";
		const spent = ask
			? `Spent ${formatUsd(ask.spent_usd)} of ${formatUsd(ask.budget_usd)}. `
			: "The task has spent its budget. ";
		return `${spent}It waits for ${a.owner ? `${a.owner}'s` : "its owner's"} decision to allow ${more} (you may watch, not decide).`;
	}
	if (a.status === "approved") return `Allowed ${more} by ${who(a.decidedBy)}${at}.`;
	if (a.status === "denied") return `Stopped by ${who(a.decidedBy)}${at}: the task spends no more.`;
	return `Expired${at}: nobody decided in time.`;
}
