/** A row of `schedules`. */
export type ScheduleRow = {
	id: string;
	user_id: string;
	name: string;
	instruction: string;
	metadata: string | null;
	every: string | null;
	cron: string | null;
	timezone: string;
	enabled: number;
	next_run_at: number | null;
	last_run_at: number | null;
	last_task_id: string | null;
	created_at: number;
	updated_at: number;
	/** The webhook its tasks get, JSON `{"url", "events"}` (migration 0015), or null. */
	webhook: string | null;
};

/**
 * Inserts a schedule unless its user already has one of that name or already has `maxPerUser`
 * (checked in the same statement, so racing creates can't pass the cap together). Null when
 * refused; `getSchedule` tells which.
 */
export async function insertSchedule(
	db: D1Database,
	row: ScheduleRow,
	maxPerUser: number,
): Promise<ScheduleRow | null> {
	return db
		.prepare(
			`INSERT INTO schedules (id, user_id, name, instruction, metadata, every, cron, timezone, enabled, next_run_at,
			   last_run_at, last_task_id, created_at, updated_at, webhook)
			 SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?, ?
			 WHERE (SELECT count(*) FROM schedules WHERE user_id = ?) < ?
			 ON CONFLICT (user_id, name) DO NOTHING RETURNING *`,
		)
		.bind(
			row.id,
			row.user_id,
			row.name,
			row.instruction,
			row.metadata,
			row.every,
			row.cron,
			row.timezone,
			row.enabled,
			row.next_run_at,
			row.created_at,
			row.updated_at,
			row.webhook,
			row.user_id,
			maxPerUser,
		)
		.first<ScheduleRow>();
}

export async function getSchedule(db: D1Database, userId: string, name: string): Promise<ScheduleRow | null> {
	return db.prepare("SELECT * FROM schedules WHERE user_id = ? AND name = ?").bind(userId, name).first<ScheduleRow>();
}

export async function listSchedules(db: D1Database, userId: string): Promise<ScheduleRow[]> {
	const { results } = await db
		.prepare("SELECT * FROM schedules WHERE user_id = ? ORDER BY name")
		.bind(userId)
		.all<ScheduleRow>();
	return results;
}

export async function updateSchedule(db: D1Database, row: ScheduleRow): Promise<ScheduleRow | null> {
	return db
		.prepare(
			`UPDATE schedules SET instruction = ?, metadata = ?, every = ?, cron = ?, timezone = ?, enabled = ?,
			   next_run_at = ?, updated_at = ?, webhook = ? WHERE id = ? RETURNING *`,
		)
		.bind(
			row.instruction,
			row.metadata,
			row.every,
			row.cron,
			row.timezone,
			row.enabled,
			row.next_run_at,
			row.updated_at,
			row.webhook,
			row.id,
		)
		.first<ScheduleRow>();
}

export async function deleteSchedule(db: D1Database, id: string): Promise<boolean> {
	const result = await db.prepare("DELETE FROM schedules WHERE id = ?").bind(id).run();
	return (result.meta.changes ?? 0) > 0;
}

export async function dueSchedules(db: D1Database, now: number, limit = 100): Promise<ScheduleRow[]> {
	const { results } = await db
		.prepare("SELECT * FROM schedules WHERE enabled = 1 AND next_run_at <= ? ORDER BY next_run_at LIMIT ?")
		.bind(now, limit)
		.all<ScheduleRow>();
	return results;
}

/**
 * Moves a schedule past the slot it just ran, only if nobody else did: the condition on the
 * old `next_run_at` makes a doubled tick advance it once.
 */
export async function advanceSchedule(
	db: D1Database,
	id: string,
	dueAt: number,
	next: number | null,
	ranAt: number,
	taskId: string,
): Promise<boolean> {
	const result = await db
		.prepare(
			"UPDATE schedules SET next_run_at = ?, last_run_at = ?, last_task_id = ?, updated_at = ? WHERE id = ? AND next_run_at = ?",
		)
		.bind(next, ranAt, taskId, ranAt, id, dueAt)
		.run();
	return (result.meta.changes ?? 0) > 0;
}

export async function recordManualRun(db: D1Database, id: string, ranAt: number, taskId: string): Promise<void> {
	await db
		.prepare("UPDATE schedules SET last_run_at = ?, last_task_id = ?, updated_at = ? WHERE id = ?")
		.bind(ranAt, taskId, ranAt, id)
		.run();
}
