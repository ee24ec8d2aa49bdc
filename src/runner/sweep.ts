import type { Deps } from "../deps.ts";
import { log } from "../log.ts";
import { settledWaiting } from "../storage/dependencies.ts";
import { expiredLeases, recoverExpired, staleQueued } from "../storage/task-runs.ts";
import { resolveWaiting } from "../tasks/dependencies.ts";
import { afterTaskEnded, enqueueTask } from "../tasks/service.ts";
import { publishTaskStatus } from "../tasks/status-events.ts";

/** A queued task whose message was sent this long ago without being claimed gets another. */
export const STALE_QUEUED_MS = 10 * 60_000;

/**
 * Finds work whose runner disappeared: `running` tasks with an expired lease go back to
 * `queued` (or `failed` when out of attempts); `queued` tasks whose message may be lost
 * are sent again. Safe to run twice: every change is a conditional update.
 */
export async function sweepTasks(
	deps: Deps,
	now: number,
	options: { resendAllQueued?: boolean } = {},
): Promise<{ recovered: number; resent: number }> {
	const { env } = deps;
	let recovered = 0;
	for (const row of await expiredLeases(env.DB, now)) {
		const updated = await recoverExpired(env.DB, row, now);
		if (!updated) continue;
		recovered++;
		log.warn("recovered task with expired lease", { taskId: updated.id, status: updated.status });
		await publishTaskStatus(deps, updated);
		if (updated.status === "queued") await enqueueTask(env, updated.id, now);
		else await afterTaskEnded(deps, updated, now);
	}
	// Safety net: a waiting task whose dependencies all ended (a crash between the two steps).
	for (const row of await settledWaiting(env.DB)) {
		const changed = await resolveWaiting(env, row, now);
		if (!changed) continue;
		recovered++;
		await publishTaskStatus(deps, changed);
		if (changed.status === "queued") await enqueueTask(env, changed.id, now);
		else await afterTaskEnded(deps, changed, now);
	}
	let resent = 0;
	for (const row of await staleQueued(env.DB, options.resendAllQueued ? now + 1 : now - STALE_QUEUED_MS, 500)) {
		if (await enqueueTask(env, row.id, now)) resent++;
	}
	return { recovered, resent };
}
