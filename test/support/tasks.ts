import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { newId } from "../../src/protocol/index.ts";
import { consumeTasks } from "../../src/runner/consumer.ts";
import type { RunnerDeps } from "../../src/runner/run-task.ts";
import { initialCheckpoint } from "../../src/storage/checkpoints.ts";
import { claimWithCheckpoint } from "../../src/storage/task-runs.ts";
import { insertTask, type TaskRow } from "../../src/storage/tasks.ts";

/**
 * A queued task written straight to D1 with no queue message, so the real consumer
 * doesn't race the test: the test decides when (and how) it runs.
 */
export async function queuedTask(
	userId: string,
	overrides: Partial<TaskRow> = {},
	policy?: { approve: string[] },
): Promise<TaskRow> {
	const id = newId("task", 12);
	const initial = policy ? initialCheckpoint(policy) : undefined;
	const outcome = await insertTask(
		env.DB,
		{
			id,
			kind: "task",
			user_id: userId,
			instruction: "what time is it",
			metadata: null,
			chat_id: null,
			chat_user_id: null,
			status: "queued",
			max_attempts: 3,
			fingerprint: id,
			active_fingerprint: null,
			idempotency_key: null,
			parent_task_id: null,
			depth: 0,
			schedule_name: null,
			created_at: Date.now(),
			...overrides,
		},
		undefined,
		initial,
	);
	if (outcome.kind === "capped") throw new Error("insertTask refused: open-task cap");
	return outcome.row;
}

export async function claimed(task: TaskRow, owner = newId("run", 9)): Promise<{ row: TaskRow; owner: string }> {
	const row = (await claimWithCheckpoint(env.DB, task.id, owner, Date.now(), 120_000))?.row;
	if (!row) throw new Error(`could not claim ${task.id}`);
	return { row, owner };
}

export async function reload(id: string): Promise<TaskRow> {
	const row = await env.DB.prepare("SELECT * FROM tasks WHERE id = ?").bind(id).first<TaskRow>();
	if (!row) throw new Error(`task ${id} is gone`);
	return row;
}

/** Hands the real queue consumer one message for `taskId`; resolves with what it did to the message. */
export async function deliver(taskId: string, deps: RunnerDeps = {}, attempts = 1) {
	return deliverBatch([taskId], deps, attempts);
}

/** Hands the real queue consumer one batch, a message per task (their runs share the batch's relay). */
export async function deliverBatch(taskIds: string[], deps: RunnerDeps = {}, attempts = 1) {
	const batch = createMessageBatch(
		"sparky-tasks",
		taskIds.map((taskId) => ({
			id: `msg-${taskId}-${attempts}`,
			timestamp: Date.now(),
			attempts,
			body: { task_id: taskId },
		})),
	);
	const ctx = createExecutionContext();
	await consumeTasks(batch, env, deps);
	return getQueueResult(batch, ctx);
}
