import type { Deps } from "../deps.ts";
import { log } from "../log.ts";
import { EventType, type PublishEvent } from "../protocol/index.ts";
import { resumeAllDecided } from "../storage/approvals.ts";
import { settledWaiting } from "../storage/dependencies.ts";
import { endCancelRequested, expiredLeases, recoverExpired, staleQueued } from "../storage/task-runs.ts";
import type { TaskRow } from "../storage/tasks.ts";
import { expireApprovals } from "../tasks/approvals.ts";
import { resolveWaiting } from "../tasks/dependencies.ts";
import { afterTaskEnded, enqueueTask } from "../tasks/service.ts";
import { publishTaskStatus, publishToAudience, taskStatusEvent } from "../tasks/status-events.ts";
import { deliverDueWebhooks } from "../webhooks/service.ts";

/** A queued task whose message was sent this long ago without being claimed gets another. */
export const STALE_QUEUED_MS = 10 * 60_000;

/**
 * The short sweep (every SPARKY_SWEEP_SECONDS): `running` tasks whose lease expired (their
 * runner died) are closed with `RUN_ERROR interrupted` and go back to `queued` (or `failed`
 * when out of attempts, `cancelled` when someone asked them to stop); queued tasks with a
 * cancel request are ended; approvals past their time expire; due webhook deliveries are sent
 * (a bounded batch: webhooks/service.ts). Returns how many tasks it took back.
 */
export async function sweepLeases(deps: Deps, now: number): Promise<number> {
	const { env } = deps;
	let recovered = 0;
	for (const row of await expiredLeases(env.DB, now)) {
		const updated = await recoverExpired(env.DB, row, now);
		if (!updated) continue;
		recovered++;
		log.warn("recovered task with expired lease", { taskId: updated.id, status: updated.status });
		// The dead run never said how it ended: close it before anything else happens to the task.
		await publishToAudience(deps, updated, [interruptedEvent(row, now), taskStatusEvent(updated, {}, now)]);
		if (updated.status === "queued") await enqueueTask(env, updated.id, now);
		else await afterTaskEnded(deps, updated, now);
	}
	// Safety net: a task asked to stop that went back to the queue (no claim takes such a task).
	for (const ended of await endCancelRequested(env.DB, now)) {
		recovered++;
		log.warn("ended a queued task whose cancel was requested", { taskId: ended.id });
		await publishTaskStatus(deps, ended);
		await afterTaskEnded(deps, ended, now);
	}
	await expireApprovals(deps, now);
	// Webhook deliveries that are due (a retry, or a first attempt nobody could make at once): a few per sweep.
	await deliverDueWebhooks(env, now).catch((error) => log.error("webhook sweep failed", { error }));
	return recovered;
}

/**
 * The minute's sweep: the short one, then the safety nets. A waiting task whose dependencies
 * all ended is settled; a paused one with nothing left to decide is resumed; `queued` tasks
 * whose message may be lost are sent again. Safe to run twice: every change is a conditional
 * update.
 */
export async function sweepTasks(
	deps: Deps,
	now: number,
	options: { resendAllQueued?: boolean } = {},
): Promise<{ recovered: number; resent: number }> {
	const { env } = deps;
	let recovered = await sweepLeases(deps, now);
	// Safety net: a waiting task whose dependencies all ended (a crash between the two steps).
	for (const row of await settledWaiting(env.DB)) {
		const changed = await resolveWaiting(env, row, now);
		if (!changed) continue;
		recovered++;
		await publishTaskStatus(deps, changed);
		if (changed.status === "queued") await enqueueTask(env, changed.id, now);
		else await afterTaskEnded(deps, changed, now);
	}
	// Safety net: a paused task with nothing left to decide (its decider stopped before the resume).
	for (const resumed of await resumeAllDecided(env.DB, now)) {
		recovered++;
		log.warn("resumed a paused task with nothing left to decide", { taskId: resumed.id });
		await publishTaskStatus(deps, resumed);
		await enqueueTask(env, resumed.id, now);
	}
	let resent = 0;
	for (const row of await staleQueued(env.DB, options.resendAllQueued ? now + 1 : now - STALE_QUEUED_MS, 500)) {
		if (await enqueueTask(env, row.id, now)) resent++;
	}
	return { recovered, resent };
}

/**
 * `RUN_ERROR` with code `interrupted` for an attempt whose runner disappeared: its stream ends
 * visibly, before the next attempt's `RUN_STARTED`. Its id is stable, so sending it twice
 * stores it once.
 */
export function interruptedEvent(row: TaskRow, now: number): PublishEvent {
	return {
		type: EventType.RUN_ERROR,
		id: `${row.id}:${row.attempts}:interrupted`,
		ts: now,
		task_id: row.id,
		...(row.chat_id ? { chat_id: row.chat_id } : {}),
		attempt: row.attempts,
		code: "interrupted",
		message: `attempt ${row.attempts} was interrupted: its runner stopped responding`,
	};
}
