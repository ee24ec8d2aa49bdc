/** An AG-UI run (`POST /api/ag-ui`): which turn it follows, from which seq of the caller's hub. */
export interface AgUiRun {
	user_id: string;
	run_id: string;
	thread_id: string;
	task_id: string;
	since_seq: number;
	min_attempt: number;
	created_at: number;
}

export async function getAgUiRun(db: D1Database, userId: string, runId: string): Promise<AgUiRun | null> {
	return db.prepare("SELECT * FROM ag_ui_runs WHERE user_id = ? AND run_id = ?").bind(userId, runId).first<AgUiRun>();
}

/** Records a run; the existing one when the client reused its runId (first one wins). */
export async function putAgUiRun(db: D1Database, run: AgUiRun): Promise<AgUiRun> {
	const row = await db
		.prepare(
			`INSERT INTO ag_ui_runs (user_id, run_id, thread_id, task_id, since_seq, min_attempt, created_at)
			 VALUES (?, ?, ?, ?, ?, ?, ?)
			 ON CONFLICT (user_id, run_id) DO UPDATE SET run_id = run_id RETURNING *`,
		)
		.bind(run.user_id, run.run_id, run.thread_id, run.task_id, run.since_seq, run.min_attempt, run.created_at)
		.first<AgUiRun>();
	return row ?? run;
}

/** Which of these chat message ids are stored already (D1 allows 100 bound values a query). */
export async function storedMessageIds(db: D1Database, chatId: string, ids: string[]): Promise<Set<string>> {
	const seen = new Set<string>();
	for (let i = 0; i < ids.length; i += 90) {
		const chunk = ids.slice(i, i + 90);
		const { results } = await db
			.prepare(`SELECT id FROM chat_messages WHERE chat_id = ? AND id IN (${chunk.map(() => "?").join(", ")})`)
			.bind(chatId, ...chunk)
			.all<{ id: string }>();
		for (const r of results) seen.add(r.id);
	}
	return seen;
}
