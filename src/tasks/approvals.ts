import type { ModelMessage } from "ai";
import { type Deps, spendRate } from "../deps.ts";
import { conflict, forbidden, notFound } from "../errors.ts";
import type { Approval, DecideApprovalBody } from "../protocol/index.ts";
import { decide, expiredApprovals, getApproval, resumeIfDecided } from "../storage/approvals.ts";
import { appendMessages, loadCheckpoint } from "../storage/checkpoints.ts";
import { getTask, type TaskRow } from "../storage/tasks.ts";
import { approvalDecidedEvent } from "./approval-events.ts";
import { canChangeTask, canSeeTask } from "./audience.ts";
import { enqueueTask } from "./service.ts";
import { publishTaskStatus, publishToAudience } from "./status-events.ts";

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
	const decided = await decide(
		deps.env.DB,
		task.id,
		approvalId,
		{ status: body.approved ? "approved" : "denied", by: decider.userId, reason: body.reason ?? null },
		now,
	);
	if (!decided) {
		throw conflict(`approval ${approvalId} is already ${approval.status}`, { status: approval.status });
	}
	await settle(deps, task, decided, now);
	return decided;
}

/** Pending approvals past their time are decided as expired (the model is told); returns how many. */
export async function expireApprovals(deps: Deps, now: number): Promise<number> {
	let expired = 0;
	for (const approval of await expiredApprovals(deps.env.DB, now)) {
		const decided = await decide(
			deps.env.DB,
			approval.task_id,
			approval.id,
			{ status: "expired", by: null, reason: "nobody decided in time" },
			now,
		);
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
	const decided = await decide(DB, task.id, call.id, { status: "approved", by, reason: null }, now);
	if (!decided) throw conflict(`tool call ${call.tool_call_id} already has its result`);
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
