import type { ModelMessage } from "ai";
import { type Deps, spendRate } from "../deps.ts";
import { conflict, forbidden, notFound, SparkyError } from "../errors.ts";
import { type Approval, type DecideApprovalBody, ErrorCode } from "../protocol/index.ts";
import { decide, expiredApprovals, getApproval, pendingApprovals, resumeIfDecided } from "../storage/approvals.ts";
import { appendMessages, loadCheckpoint } from "../storage/checkpoints.ts";
import { getTask, type TaskRow } from "../storage/tasks.ts";
import { approvalDecidedEvent } from "./approval-events.ts";
import { canChangeTask, canSeeTask } from "./audience.ts";
import { enqueueTask } from "./service.ts";
import { publishTaskStatus, publishToAudience } from "./status-events.ts";

/**
 * The caller's tool calls waiting for a decision, across tasks and chats, oldest first (at most
 * 100). Each says whether the caller may decide it (`can_decide`): the caller's own tasks' are
 * theirs to decide (approval.user_id is the task's creator). `GET /api/approvals` and MCP's
 * `list_approvals` both answer with it.
 */
export async function pendingApprovalsFor(
	db: D1Database,
	viewer: { userId: string; role: string },
): Promise<Approval[]> {
	const approvals = await pendingApprovals(db, viewer.userId);
	return approvals.map((a) => ({
		...a,
		can_decide: canChangeTask({ user_id: a.user_id, chat_user_id: null, kind: "task" }, viewer),
	}));
}

/**
 * Approves or denies one tool call a task waits on. The task goes back to the queue as soon
 * as nothing is left to decide, and continues from its checkpoint: approved, the tool runs;
 * denied, the model reads who denied it and why.
 */
export async function decideApproval(
	deps: Deps,
	task: TaskRow,
	approvalId: string,
	body: DecideApprovalBody,
	decider: { userId: string; role: string },
	now = Date.now(),
): Promise<Approval> {
	// Who may decide is the one policy of tasks/audience.ts: whoever may change the task.
	if (!canChangeTask(task, decider)) {
		if (!canSeeTask(task, decider)) throw notFound(`task ${task.id}`);
		throw forbidden(`task ${task.id} is not yours to decide for (you may watch it)`);
	}
	await spendRate(deps, decider.userId, "decisions");
	const approval = await getApproval(deps.env.DB, task.id, approvalId);
	if (!approval) throw notFound(`approval ${approvalId}`);
	// Past its time it can't be decided (the store checks it again, atomically, below).
	if (approval.status === "pending" && approval.expires_at <= now) {
		await expireNow(deps, task, approval, now);
		throw approvalExpired(approval);
	}
	const decided = await decide(
		deps.env.DB,
		task.id,
		approvalId,
		{ status: body.approved ? "approved" : "denied", by: decider.userId, reason: body.reason ?? null },
		now,
	);
	if (!decided) {
		const current = (await getApproval(deps.env.DB, task.id, approvalId)) ?? approval;
		if (current.status === "expired" || (current.status === "pending" && current.expires_at <= now)) {
			if (current.status === "pending") await expireNow(deps, task, current, now);
			throw approvalExpired(current);
		}
		throw conflict(`approval ${approvalId} is already ${current.status}`, { status: current.status });
	}
	await settle(deps, task, decided, now);
	return decided;
}

/** Deciding an approval past its `expires_at`: a 409 `approval_expired`; the run goes on without the call. */
function approvalExpired(approval: Approval): SparkyError {
	return new SparkyError(
		"conflict",
		ErrorCode.approvalExpired,
		`approval ${approval.id} expired at ${new Date(approval.expires_at).toISOString()}: nobody decided in time, so the call will not run`,
		{ status: "expired", expires_at: approval.expires_at },
	);
}

/** How an approval nobody decided in time is closed (by the sweep, or by a late decision). */
const EXPIRED = { status: "expired", by: null, reason: "nobody decided in time" } as const;

/** An approval found past its time is expired there and then, as the sweep would have. */
async function expireNow(deps: Deps, task: TaskRow, approval: Approval, now: number): Promise<void> {
	const expired = await decide(deps.env.DB, task.id, approval.id, EXPIRED, now);
	if (expired) await settle(deps, task, expired, now);
}

/** Pending approvals past their time are decided as expired (the model is told); returns how many. */
export async function expireApprovals(deps: Deps, now: number): Promise<number> {
	let expired = 0;
	for (const approval of await expiredApprovals(deps.env.DB, now)) {
		const decided = await decide(deps.env.DB, approval.task_id, approval.id, EXPIRED, now);
		if (!decided) continue;
		expired++;
		const task = await getTask(deps.env.DB, approval.task_id);
		if (task) await settle(deps, task, decided, now);
	}
	return expired;
}

/**
 * An AG-UI client sent the result of a tool it runs itself: it is written into the task's
 * checkpoint as that call's result (what the model reads next), and the task goes on from it.
 */
export async function deliverClientResult(
	deps: Deps,
	task: TaskRow,
	call: Approval,
	content: string,
	by: string,
	now = Date.now(),
): Promise<void> {
	const { DB } = deps.env;
	const saved = await loadCheckpoint(DB, task.id);
	const found = saved.messages.flatMap((m) =>
		m.message.role === "assistant" && typeof m.message.content !== "string"
			? m.message.content
					.filter((p) => p.type === "tool-call" && `${m.runId}:${p.toolCallId}` === call.tool_call_id)
					.map((p) => ({ runId: m.runId, part: p as { toolCallId: string; toolName: string } }))
			: [],
	)[0];
	if (!found) throw conflict(`tool call ${call.tool_call_id} is not waiting for a result`);
	// Claimed first, atomically: a second delivery, or one past the call's time, writes nothing.
	const decided = await decide(DB, task.id, call.id, { status: "approved", by, reason: null }, now);
	if (!decided) {
		if (call.expires_at <= now) throw approvalExpired(call);
		throw conflict(`tool call ${call.tool_call_id} already has its result`);
	}
	const message: ModelMessage = {
		role: "tool",
		content: [
			{
				type: "tool-result",
				toolCallId: found.part.toolCallId,
				toolName: found.part.toolName,
				output: { type: "text", value: content },
			},
		],
	};
	const { checkpoint } = saved;
	await appendMessages(DB, task.id, saved.messages.length, [{ runId: found.runId, message }], checkpoint, now);
	const resumed = await resumeIfDecided(DB, task.id, now);
	if (resumed) {
		await publishTaskStatus(deps, resumed);
		await enqueueTask(deps.env, resumed.id, now);
	}
}

async function settle(deps: Deps, task: TaskRow, decided: Approval, now: number): Promise<void> {
	const resumed = await resumeIfDecided(deps.env.DB, task.id, now);
	await publishToAudience(deps, resumed ?? task, [approvalDecidedEvent(decided, now)]);
	if (resumed) {
		await publishTaskStatus(deps, resumed);
		await enqueueTask(deps.env, resumed.id, now);
	}
}
