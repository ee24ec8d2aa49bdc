/** A message steered into a running turn (`turn_steers`, docs/agent.md "Steering"). */
export interface SteerRow {
	id: string;
	task_id: string;
	chat_id: string;
	text: string;
	created_at: number;
	taken_at: number | null;
	taken_step: number | null;
}

/** Most steered messages one turn holds: past it, a message waits for the next turn instead. */
export const MAX_STEERS_PER_TURN = 20;

/**
 * Stores a message for the running turn `taskId`, if the turn is still running or paused (and
 * holds fewer than the cap): one statement, so a turn that just ended never gets it.
 */
export async function insertSteer(db: D1Database, steer: Omit<SteerRow, "taken_at" | "taken_step">): Promise<boolean> {
	const row = await db
		.prepare(
			`INSERT INTO turn_steers (id, task_id, chat_id, text, created_at)
			 SELECT ?1, ?2, ?3, ?4, ?5
			 WHERE EXISTS (SELECT 1 FROM tasks WHERE id = ?2 AND status IN ('running', 'awaiting_approval'))
			   AND (SELECT count(*) FROM turn_steers WHERE task_id = ?2) < ?6
			 RETURNING id`,
		)
		.bind(steer.id, steer.task_id, steer.chat_id, steer.text, steer.created_at, MAX_STEERS_PER_TURN)
		.first();
	return row !== null;
}

/** What the turn has not read yet, oldest first. */
export async function unreadSteers(db: D1Database, taskId: string): Promise<SteerRow[]> {
	const { results } = await db
		.prepare("SELECT * FROM turn_steers WHERE task_id = ? AND taken_at IS NULL ORDER BY created_at, id")
		.bind(taskId)
		.all<SteerRow>();
	return results;
}

/** Marks messages read at `step` (after the checkpoint holding them was written). */
export async function markSteersTaken(db: D1Database, ids: string[], step: number, now: number): Promise<void> {
	if (ids.length === 0) return;
	await db
		.prepare(
			`UPDATE turn_steers SET taken_at = ?, taken_step = ? WHERE id IN (${ids.map(() => "?").join(", ")}) AND taken_at IS NULL`,
		)
		.bind(now, step, ...ids)
		.run();
}

/** Takes a turn's unread messages away from it (it ended): they are returned, and gone from the turn. */
export async function takeLeftoverSteers(db: D1Database, taskId: string): Promise<SteerRow[]> {
	const { results } = await db
		.prepare("DELETE FROM turn_steers WHERE task_id = ? AND taken_at IS NULL RETURNING *")
		.bind(taskId)
		.all<SteerRow>();
	return results.sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : 1));
}
