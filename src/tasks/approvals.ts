import { type Deps, spendRate } from "../deps.ts";
import { conflict, forbidden, notFound } from "../errors.ts";
import type { Approval, DecideApprovalBody } from "../protocol/index.ts";
import { decide, expiredApprovals, getApproval, resumeIfDecided } from "../storage/approvals.ts";
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

async function settle(deps: Deps, task: TaskRow, decided: Approval, now: number): Promise<void> {
	const resumed = await resumeIfDecided(deps.env.DB, task.id, now);
	await publishToAudience(deps, resumed ?? task, [approvalDecidedEvent(decided, now)]);
	if (resumed) {
		await publishTaskStatus(deps, resumed);
		await enqueueTask(deps.env, resumed.id, now);
	}
}
