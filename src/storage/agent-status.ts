import type { TaskRow } from "./tasks.ts";
import { scopeSql } from "./tasks.ts";

export interface AgentStatus {
	counts: Record<string, number>;
	running: { id: string; user_id: string; attempt: number; started_at: number | null; instruction: string }[];
	oldest_queued_age_ms: number | null;
	recent_failures: { id: string; user_id: string; error: string | null; finished_at: number | null }[];
}

/** A snapshot of the agent's work: for one user, or for everyone (userId null). */
export async function agentStatus(
	db: D1Database,
	within: { kind: "own" | "watch" | "all"; userId: string },
	now: number,
): Promise<AgentStatus> {
	const scoped = scopeSql(within);
	const scope = `AND ${scoped.sql}`;
	const args = scoped.args;
	const [counts, running, oldest, failures] = await db.batch([
		db.prepare(`SELECT status, count(*) AS n FROM tasks WHERE 1 = 1 ${scope} GROUP BY status`).bind(...args),
		db
			.prepare(
				`SELECT id, user_id, attempts, started_at, instruction FROM tasks WHERE status = 'running' ${scope} ORDER BY started_at LIMIT 50`,
			)
			.bind(...args),
		db.prepare(`SELECT min(created_at) AS at FROM tasks WHERE status = 'queued' ${scope}`).bind(...args),
		db
			.prepare(
				`SELECT id, user_id, error, finished_at FROM tasks WHERE status = 'failed' ${scope} ORDER BY finished_at DESC LIMIT 10`,
			)
			.bind(...args),
	]);
	const byStatus: Record<string, number> = { waiting: 0, queued: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 };
	for (const row of (counts?.results ?? []) as { status: string; n: number }[]) byStatus[row.status] = row.n;
	const oldestAt = ((oldest?.results ?? [])[0] as { at: number | null } | undefined)?.at ?? null;
	return {
		counts: byStatus,
		running: (
			(running?.results ?? []) as Pick<TaskRow, "id" | "user_id" | "attempts" | "started_at" | "instruction">[]
		).map((r) => ({
			id: r.id,
			user_id: r.user_id,
			attempt: r.attempts,
			started_at: r.started_at,
			instruction: r.instruction,
		})),
		oldest_queued_age_ms: oldestAt === null ? null : Math.max(0, now - oldestAt),
		recent_failures: (failures?.results ?? []) as AgentStatus["recent_failures"],
	};
}
