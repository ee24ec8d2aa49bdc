import type { Approval, ApprovalStatus } from "../protocol/index.ts";
import type { TaskRow } from "./tasks.ts";

/** `approval`: a person decides; `client_tool`: an AG-UI client runs the tool and sends its result. */
export type ApprovalKind = "approval" | "client_tool";

interface ApprovalRow {
	id: string;
	kind: ApprovalKind;
	task_id: string;
	user_id: string;
	chat_id: string | null;
	tool_call_id: string;
	tool: string;
	input: string;
	status: ApprovalStatus;
	requested_at: number;
	expires_at: number;
	decided_at: number | null;
	decided_by: string | null;
	reason: string | null;
}

/** Budget approvals' call ids start so (the runner's budget gate, runner/run-budget.ts); tool calls' never do. */
export const BUDGET_CALL_PREFIX = "budget:";

function toApproval(row: ApprovalRow): Approval {
	const { kind: _kind, ...rest } = row;
	const kind = row.tool_call_id.startsWith(BUDGET_CALL_PREFIX) ? "budget" : "tool";
	return { ...rest, input: JSON.parse(row.input) as unknown, kind };
}

/** Asks for a decision on a tool call; the existing request when one was already made for it. */
export async function requestApproval(
	db: D1Database,
	approval: Approval,
	kind: ApprovalKind = "approval",
): Promise<Approval> {
	const row = await db
		.prepare(
			`INSERT INTO approvals (id, kind, task_id, user_id, chat_id, tool_call_id, tool, input, status, requested_at, expires_at)
			 VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)
			 ON CONFLICT (task_id, tool_call_id) DO UPDATE SET id = id RETURNING *`,
		)
		.bind(
			approval.id,
			kind,
			approval.task_id,
			approval.user_id,
			approval.chat_id,
			approval.tool_call_id,
			approval.tool,
			JSON.stringify(approval.input ?? null),
			approval.requested_at,
			approval.expires_at,
		)
		.first<ApprovalRow>();
	return toApproval(row as ApprovalRow);
}

/** A task's stored decisions of either kind, by tool call id (what the runner's gate checks every call against). */
export async function approvalsByCall(
	db: D1Database,
	taskId: string,
): Promise<Map<string, Approval & { asks: ApprovalKind }>> {
	const { results } = await db.prepare("SELECT * FROM approvals WHERE task_id = ?").bind(taskId).all<ApprovalRow>();
	return new Map(results.map((row) => [row.tool_call_id, { ...toApproval(row), asks: row.kind }]));
}

/** A client-run tool call a task waits on, by its event id (`TOOL_CALL_START.toolCallId`). */
export async function pendingClientCall(db: D1Database, taskId: string, toolCallId: string): Promise<Approval | null> {
	const row = await db
		.prepare(
			"SELECT * FROM approvals WHERE task_id = ? AND tool_call_id = ? AND kind = 'client_tool' AND status = 'pending'",
		)
		.bind(taskId, toolCallId)
		.first<ApprovalRow>();
	return row ? toApproval(row) : null;
}

/** Pending client-run tool calls of a task (what its next AG-UI run must answer). */
export async function pendingClientCalls(db: D1Database, taskId: string): Promise<Approval[]> {
	const { results } = await db
		.prepare("SELECT * FROM approvals WHERE task_id = ? AND kind = 'client_tool' AND status = 'pending'")
		.bind(taskId)
		.all<ApprovalRow>();
	return results.map(toApproval);
}

/** A person's approval (never a client tool call). */
export async function getApproval(db: D1Database, taskId: string, id: string): Promise<Approval | null> {
	const row = await db
		.prepare("SELECT * FROM approvals WHERE task_id = ? AND id = ? AND kind = 'approval'")
		.bind(taskId, id)
		.first<ApprovalRow>();
	return row ? toApproval(row) : null;
}

export async function taskApprovals(db: D1Database, taskId: string): Promise<Approval[]> {
	const { results } = await db
		.prepare("SELECT * FROM approvals WHERE task_id = ? AND kind = 'approval' ORDER BY requested_at, id")
		.bind(taskId)
		.all<ApprovalRow>();
	return results.map(toApproval);
}

/** A user's pending approvals, oldest first (whatever task or chat they belong to). */
export async function pendingApprovals(db: D1Database, userId: string | null, limit = 100): Promise<Approval[]> {
	const { results } = await db
		.prepare(
			`SELECT * FROM approvals WHERE status = 'pending' AND kind = 'approval' AND (? IS NULL OR user_id = ?)
			 ORDER BY requested_at, id LIMIT ?`,
		)
		.bind(userId, userId, limit)
		.all<ApprovalRow>();
	return results.map(toApproval);
}

/**
 * Records a decision; null when it was no longer pending (decided twice, expired). Approved or
 * denied only before `expires_at`: past it, the only decision left is `expired`.
 */
export async function decide(
	db: D1Database,
	taskId: string,
	id: string,
	decision: { status: "approved" | "denied" | "expired"; by: string | null; reason: string | null },
	now: number,
): Promise<Approval | null> {
	const row = await db
		.prepare(
			`UPDATE approvals SET status = ?, decided_at = ?, decided_by = ?, reason = ?
			 WHERE task_id = ? AND id = ? AND status = 'pending' AND (? = 'expired' OR expires_at > ?) RETURNING *`,
		)
		.bind(decision.status, now, decision.by, decision.reason, taskId, id, decision.status, now)
		.first<ApprovalRow>();
	return row ? toApproval(row) : null;
}

/** Pending approvals whose time ran out. */
export async function expiredApprovals(db: D1Database, now: number, limit = 50): Promise<Approval[]> {
	const { results } = await db
		.prepare("SELECT * FROM approvals WHERE status = 'pending' AND expires_at <= ? ORDER BY expires_at LIMIT ?")
		.bind(now, limit)
		.all<ApprovalRow>();
	return results.map(toApproval);
}

/** SQL: the task (`tasks`) has no approval of either kind left pending. */
export const NOTHING_PENDING_SQL =
	"NOT EXISTS (SELECT 1 FROM approvals a WHERE a.task_id = tasks.id AND a.status = 'pending')";

/** After a decision: a paused task with nothing left to decide goes back to the queue. */
export async function resumeIfDecided(db: D1Database, taskId: string, now: number): Promise<TaskRow | null> {
	return db
		.prepare(
			`UPDATE tasks SET status = 'queued', updated_at = ?, enqueued_at = NULL
			 WHERE id = ? AND status = 'awaiting_approval' AND ${NOTHING_PENDING_SQL} RETURNING *`,
		)
		.bind(now, taskId)
		.first<TaskRow>();
}

/**
 * Safety net (the sweep): paused tasks with nothing left to decide, whose resume never
 * happened (the decider crashed between its decision and the resume), go back to the queue.
 */
export async function resumeAllDecided(db: D1Database, now: number, limit = 50): Promise<TaskRow[]> {
	const { results } = await db
		.prepare(
			`UPDATE tasks SET status = 'queued', updated_at = ?, enqueued_at = NULL
			 WHERE id IN (SELECT id FROM tasks WHERE status = 'awaiting_approval' AND ${NOTHING_PENDING_SQL} LIMIT ?)
			 RETURNING *`,
		)
		.bind(now, limit)
		.all<TaskRow>();
	return results;
}

const DENY_PENDING = `UPDATE approvals SET status = 'denied', decided_at = ?, decided_by = ?, reason = 'the task was cancelled'
	WHERE task_id = ? AND status = 'pending'`;

/** A cancelled task's open requests are closed as denied, by whoever cancelled it. */
export async function denyPending(db: D1Database, taskId: string, by: string | null, now: number): Promise<Approval[]> {
	const { results } = await db.prepare(`${DENY_PENDING} RETURNING *`).bind(now, by, taskId).all<ApprovalRow>();
	return results.map(toApproval);
}

/**
 * `denyPending` for a batch that may have just cancelled the task (a run's end): it closes
 * nothing unless the task is cancelled by then. Read its result with `approvalsOf`.
 */
export function denyPendingIfCancelled(db: D1Database, taskId: string, now: number): D1PreparedStatement {
	return db
		.prepare(
			`${DENY_PENDING} AND EXISTS (SELECT 1 FROM tasks t WHERE t.id = approvals.task_id AND t.status = 'cancelled')
			 RETURNING *`,
		)
		.bind(now, null, taskId);
}

/** The approvals a statement returned (`RETURNING *` of the approvals table). */
export function approvalsOf(result: D1Result<unknown> | undefined): Approval[] {
	return ((result?.results ?? []) as ApprovalRow[]).map(toApproval);
}
