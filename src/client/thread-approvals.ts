import type { Approval, EventOf, EventType } from "../protocol/index.ts";
import type { ApprovalView, TimelineItem } from "./timeline-items.ts";

/**
 * A thread's approvals: read from the API (or a `sparky.approval.*` event) and from a run's
 * interrupt outcome, merged whichever arrives first, and attached to their runs and tool calls.
 */

type Interrupt = Extract<
	NonNullable<EventOf<EventType.RUN_FINISHED>["outcome"]>,
	{ type: "interrupt" }
>["interrupts"][number];

/** The interrupts (`RUN_FINISHED.outcome.interrupts[].reason`) that are approvals, and what each asks. */
const INTERRUPT_KINDS = new Map<string, NonNullable<ApprovalView["kind"]>>([
	["tool_approval", "tool"],
	["budget", "budget"],
	["budget_approval", "budget"],
]);

/** An approval as the API or a `sparky.approval.*` event has it. */
export function approvalFromApi(a: Approval): ApprovalView {
	return {
		id: a.id,
		taskId: a.task_id,
		runId: runIdOf(a.task_id, a.tool_call_id),
		toolCallId: a.tool_call_id,
		tool: a.tool,
		input: a.input,
		status: a.status,
		requestedAt: a.requested_at,
		expiresAt: a.expires_at,
		decidedAt: a.decided_at ?? undefined,
		decidedBy: a.decided_by ?? undefined,
		reason: a.reason ?? undefined,
		owner: a.user_id,
		canDecide: a.can_decide,
		kind: a.kind ?? "tool",
	};
}

/** One of a `RUN_FINISHED` outcome's `interrupts`: what the run waits for (undefined when it is no approval). */
export function approvalFromInterrupt(
	i: Interrupt,
	runId: string,
	taskId: string | undefined,
): ApprovalView | undefined {
	const kind = INTERRUPT_KINDS.get(i.reason);
	if (!kind || !i.id) return undefined;
	const expires = i.expiresAt ? Date.parse(i.expiresAt) : Number.NaN;
	return {
		id: i.id,
		taskId,
		runId,
		toolCallId: i.toolCallId ?? "",
		tool: kind === "budget" ? "budget" : "",
		input: undefined,
		status: "pending",
		message: i.message || undefined,
		kind,
		expiresAt: Number.isFinite(expires) ? expires : undefined,
	};
}

/** Merges what is known of an approval: decided beats pending, and known fields are kept. */
export function mergeApproval(approvals: Map<string, ApprovalView>, next: ApprovalView): void {
	const current = approvals.get(next.id);
	if (!current) {
		approvals.set(next.id, next);
		return;
	}
	const newer =
		next.status !== "pending" && (current.status === "pending" || (next.decidedAt ?? 0) >= (current.decidedAt ?? 0));
	for (const [key, value] of Object.entries(next) as [keyof ApprovalView, unknown][]) {
		if (value === undefined || value === "") continue;
		if (["status", "decidedAt", "decidedBy", "reason"].includes(key) && !newer) continue;
		(current as unknown as Record<string, unknown>)[key] = value;
	}
	if (newer) {
		current.decidedAt = next.decidedAt;
		current.decidedBy = next.decidedBy;
		current.reason = next.reason;
	}
}

/**
 * Attaches each approval to its run and its tool call; a paused run waits while one is pending.
 * `itemOf` finds a thread's item by id, `latestRun` a task's latest run line.
 */
export function linkApprovals(
	approvals: ReadonlyMap<string, ApprovalView>,
	itemOf: (id: string) => TimelineItem | undefined,
	latestRun: (taskId: string | undefined) => string | undefined,
): void {
	if (approvals.size === 0) return;
	const byRun = new Map<string, ApprovalView[]>();
	for (const approval of approvals.values()) {
		const tool = itemOf(approval.toolCallId);
		if (tool?.kind === "tool") {
			tool.approval = approval;
			approval.tool ||= tool.name;
			if (approval.input === undefined && tool.args) approval.input = parseJson(tool.args);
		}
		// A budget approval has no tool call (nor, from every server, a run in its ids): it waits on the task's latest run.
		const runId = approval.runId ?? (approval.kind === "budget" ? latestRun(approval.taskId) : undefined);
		if (!runId) continue;
		const list = byRun.get(runId) ?? [];
		list.push(approval);
		byRun.set(runId, list);
	}
	for (const [runId, list] of byRun) {
		const run = itemOf(runId);
		if (run?.kind !== "run") continue;
		run.approvals = list.sort((a, b) => (a.requestedAt ?? 0) - (b.requestedAt ?? 0) || a.id.localeCompare(b.id));
		if (run.state === "awaiting_approval" || run.state === "paused")
			run.state = list.some((a) => a.status === "pending") ? "awaiting_approval" : "paused";
	}
}

/** `<task>:<attempt>` from a tool call id `<task>:<attempt>:<n>` (how the runner names them). */
function runIdOf(taskId: string, toolCallId: string): string | undefined {
	if (!toolCallId.startsWith(`${taskId}:`)) return undefined;
	const attempt = toolCallId.slice(taskId.length + 1).split(":")[0];
	return attempt && /^\d+$/.test(attempt) ? `${taskId}:${attempt}` : undefined;
}

function parseJson(text: string): unknown {
	try {
		return JSON.parse(text);
	} catch {
		return text;
	}
}
