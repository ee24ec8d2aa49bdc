import type { TaskRow } from "./tasks.ts";

export async function insertDependencies(db: D1Database, taskId: string, dependsOn: string[]): Promise<void> {
	if (dependsOn.length === 0) return;
	const statement = db.prepare("INSERT OR IGNORE INTO task_dependencies (task_id, depends_on_id) VALUES (?, ?)");
	await db.batch(dependsOn.map((id) => statement.bind(taskId, id)));
}

/** The tasks `taskId` waits for, with their state. */
export async function dependenciesOf(
	db: D1Database,
	taskId: string,
): Promise<Pick<TaskRow, "id" | "status" | "error">[]> {
	const { results } = await db
		.prepare(
			`SELECT t.id, t.status, t.error FROM task_dependencies d JOIN tasks t ON t.id = d.depends_on_id
			 WHERE d.task_id = ? ORDER BY t.created_at`,
		)
		.bind(taskId)
		.all<Pick<TaskRow, "id" | "status" | "error">>();
	return results;
}

/** Tasks still waiting on `taskId`. */
export async function waitingDependents(db: D1Database, taskId: string): Promise<TaskRow[]> {
	const { results } = await waitingDependentsQuery(db, taskId).all<TaskRow>();
	return results;
}

/** `waitingDependents` as a statement, to read in another batch (a run's end). */
export function waitingDependentsQuery(db: D1Database, taskId: string): D1PreparedStatement {
	return db
		.prepare(
			`SELECT t.* FROM task_dependencies d JOIN tasks t ON t.id = d.task_id
			 WHERE d.depends_on_id = ? AND t.status = 'waiting'`,
		)
		.bind(taskId);
}

/** Waiting → queued, only if every dependency succeeded (and nobody promoted it already). */
export async function promoteIfReady(db: D1Database, taskId: string, now: number): Promise<TaskRow | null> {
	return db
		.prepare(
			`UPDATE tasks SET status = 'queued', updated_at = ?
			 WHERE id = ? AND status = 'waiting' AND NOT EXISTS (
			   SELECT 1 FROM task_dependencies d LEFT JOIN tasks t ON t.id = d.depends_on_id
			   WHERE d.task_id = tasks.id AND (t.id IS NULL OR t.status != 'succeeded'))
			 RETURNING *`,
		)
		.bind(now, taskId)
		.first<TaskRow>();
}

export async function failWaiting(db: D1Database, taskId: string, error: string, now: number): Promise<TaskRow | null> {
	return db
		.prepare(
			`UPDATE tasks SET status = 'failed', error = ?, active_fingerprint = NULL, updated_at = ?, finished_at = ?
			 WHERE id = ? AND status = 'waiting' RETURNING *`,
		)
		.bind(error, now, now, taskId)
		.first<TaskRow>();
}

/** Waiting tasks none of whose dependencies is still pending (for the sweep's safety net). */
export async function settledWaiting(db: D1Database, limit = 50): Promise<TaskRow[]> {
	const { results } = await db
		.prepare(
			`SELECT * FROM tasks w WHERE w.status = 'waiting' AND NOT EXISTS (
			   SELECT 1 FROM task_dependencies d JOIN tasks t ON t.id = d.depends_on_id
			   WHERE d.task_id = w.id AND t.status NOT IN ('succeeded', 'failed', 'cancelled'))
			 LIMIT ?`,
		)
		.bind(limit)
		.all<TaskRow>();
	return results;
}

/** Edges of the dependency graph reachable from `ids` (for the cycle check), bounded. */
export async function dependencyEdges(db: D1Database, ids: string[], maxNodes = 500): Promise<Map<string, string[]>> {
	const edges = new Map<string, string[]>();
	let frontier = [...new Set(ids)];
	while (frontier.length > 0 && edges.size < maxNodes) {
		const batch = frontier.slice(0, 50);
		frontier = frontier.slice(50);
		const { results } = await db
			.prepare(
				`SELECT task_id, depends_on_id FROM task_dependencies WHERE task_id IN (${batch.map(() => "?").join(", ")})`,
			)
			.bind(...batch)
			.all<{ task_id: string; depends_on_id: string }>();
		for (const id of batch) edges.set(id, []);
		for (const row of results) {
			edges.get(row.task_id)?.push(row.depends_on_id);
			if (!edges.has(row.depends_on_id)) frontier.push(row.depends_on_id);
		}
	}
	return edges;
}
