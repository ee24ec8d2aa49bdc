import type { UsageGrouping, UsageRow } from "../protocol/index.ts";

/** One model call, as the ledger keeps it. */
export interface ModelCallRow {
	user_id: string;
	task_id: string;
	attempt: number;
	step: number;
	chat_id: string | null;
	model: string;
	input_tokens: number;
	output_tokens: number;
	cached_input_tokens: number;
	reasoning_tokens: number;
	/** `null`: no known price. */
	cost_usd: number | null;
	ms: number;
	day: string;
	created_at: number;
	/** The attempt's first call: it counts a run in the day's rollup. */
	first_of_run: boolean;
}

/**
 * Records a model call: the ledger row, the user's day rollup and the task's totals, in one
 * transaction (one round trip). What a call spent is spent even if the run dies right after:
 * the task's totals here are kept by increments, not by the run's checkpoint.
 */
export async function recordModelCall(db: D1Database, call: ModelCallRow): Promise<void> {
	const priced = call.cost_usd !== null;
	await db.batch([
		db
			.prepare(
				`INSERT INTO model_calls (user_id, task_id, attempt, step, chat_id, model, input_tokens, output_tokens,
				   cached_input_tokens, reasoning_tokens, cost_usd, ms, day, created_at)
				 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			)
			.bind(
				call.user_id,
				call.task_id,
				call.attempt,
				call.step,
				call.chat_id,
				call.model,
				call.input_tokens,
				call.output_tokens,
				call.cached_input_tokens,
				call.reasoning_tokens,
				call.cost_usd,
				call.ms,
				call.day,
				call.created_at,
			),
		db
			.prepare(
				`INSERT INTO usage_daily (user_id, day, model, runs, calls, input_tokens, output_tokens, cached_input_tokens,
				   reasoning_tokens, cost_usd, unpriced_calls)
				 VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6, ?7, ?8, ?9, ?10)
				 ON CONFLICT (user_id, day, model) DO UPDATE SET
				   runs = runs + ?4, calls = calls + 1, input_tokens = input_tokens + ?5, output_tokens = output_tokens + ?6,
				   cached_input_tokens = cached_input_tokens + ?7, reasoning_tokens = reasoning_tokens + ?8,
				   cost_usd = cost_usd + ?9, unpriced_calls = unpriced_calls + ?10`,
			)
			.bind(
				call.user_id,
				call.day,
				call.model,
				call.first_of_run ? 1 : 0,
				call.input_tokens,
				call.output_tokens,
				call.cached_input_tokens,
				call.reasoning_tokens,
				call.cost_usd ?? 0,
				priced ? 0 : 1,
			),
		db
			.prepare(
				`UPDATE tasks SET cached_input_tokens = cached_input_tokens + ?, reasoning_tokens = reasoning_tokens + ?,
				   cost_usd = cost_usd + ?, unpriced_calls = unpriced_calls + ? WHERE id = ?`,
			)
			.bind(call.cached_input_tokens, call.reasoning_tokens, call.cost_usd ?? 0, priced ? 0 : 1, call.task_id),
	]);
}

/** A user's own caps and what they spent today and this month (priced calls). */
export interface UserSpend {
	budget_day_usd: number | null;
	budget_month_usd: number | null;
	day_usd: number;
	month_usd: number;
}

/** An SQL condition and its bindings, for another statement's WHERE. */
export interface SqlCondition {
	sql: string;
	args: (string | number | null)[];
}

/**
 * True while the user has spent less than both caps (their own, else `defaults`; none: no cap),
 * rounded as `roundUsd` rounds: a task's insert carries it, so the check and the write are one
 * statement (storage/tasks.ts) and `budgetStatus` agrees with it on every refusal.
 */
export function underBudgetSql(
	userId: string,
	day: string,
	monthStart: string,
	defaults: { dayUsd: number | null; monthUsd: number | null },
): SqlCondition {
	return {
		sql: `NOT EXISTS (SELECT 1 FROM users u WHERE u.id = ? AND (
			   round((SELECT COALESCE(SUM(cost_usd), 0) FROM usage_daily WHERE user_id = u.id AND day = ?), 8)
			     >= COALESCE(u.budget_day_usd, ?)
			   OR round((SELECT COALESCE(SUM(cost_usd), 0) FROM usage_daily WHERE user_id = u.id AND day >= ? AND day <= ?), 8)
			     >= COALESCE(u.budget_month_usd, ?)))`,
		args: [userId, day, defaults.dayUsd, monthStart, day, defaults.monthUsd],
	};
}

/** One round trip: the user's caps and spend (what `/api/me/budget` shows, and why a task was refused). */
export async function userSpend(db: D1Database, userId: string, day: string, monthStart: string): Promise<UserSpend> {
	const row = await db
		.prepare(
			`SELECT u.budget_day_usd, u.budget_month_usd,
			   (SELECT COALESCE(SUM(cost_usd), 0) FROM usage_daily WHERE user_id = ?1 AND day = ?2) AS day_usd,
			   (SELECT COALESCE(SUM(cost_usd), 0) FROM usage_daily WHERE user_id = ?1 AND day >= ?3 AND day <= ?2) AS month_usd
			 FROM users u WHERE u.id = ?1`,
		)
		.bind(userId, day, monthStart)
		.first<UserSpend>();
	return row ?? { budget_day_usd: null, budget_month_usd: null, day_usd: 0, month_usd: 0 };
}

/** Sets a user's own caps (`null`: back to the server's default); whether the user exists. */
export async function setUserBudget(
	db: D1Database,
	userId: string,
	caps: { day_usd?: number | null; month_usd?: number | null },
): Promise<boolean> {
	const row = await db
		.prepare(
			`UPDATE users SET
			   budget_day_usd = CASE WHEN ?2 THEN ?3 ELSE budget_day_usd END,
			   budget_month_usd = CASE WHEN ?4 THEN ?5 ELSE budget_month_usd END
			 WHERE id = ?1 RETURNING id`,
		)
		.bind(
			userId,
			caps.day_usd !== undefined ? 1 : 0,
			caps.day_usd ?? null,
			caps.month_usd !== undefined ? 1 : 0,
			caps.month_usd ?? null,
		)
		.first();
	return row !== null;
}

/** What `usageRows` reads: a time range, a grouping, and (optionally) one user. */
export interface UsageSelection {
	by: UsageGrouping;
	since: number;
	until: number;
	userId?: string;
	limit: number;
	/** Who asks: a chat turn's words label its row only for the chat's owner (admins included). */
	viewer: string;
}

type SumRow = Omit<UsageRow, "cost_usd" | "label"> & { priced_usd: number; label?: string | null };

const SUMS = `COUNT(DISTINCT m.task_id || ':' || m.attempt) AS runs, COUNT(*) AS calls,
	SUM(m.input_tokens) AS input_tokens, SUM(m.output_tokens) AS output_tokens,
	SUM(m.cached_input_tokens) AS cached_input_tokens, SUM(m.reasoning_tokens) AS reasoning_tokens,
	COALESCE(SUM(m.cost_usd), 0) AS priced_usd, SUM(m.cost_usd IS NULL) AS unpriced_calls`;

const KEY: Record<UsageGrouping, string> = {
	day: "m.day",
	user: "m.user_id",
	model: "m.model",
	task: "m.task_id",
};

/**
 * The ledger summed over a time range, per day, user, model or task (the ledger itself, so
 * a range may start and end anywhere, and the total is exactly the sum of the calls in it).
 */
export async function usageRows(
	db: D1Database,
	s: UsageSelection,
): Promise<{ rows: UsageRow[]; total: Omit<UsageRow, "key" | "label"> }> {
	const where = `m.created_at >= ?1 AND m.created_at < ?2${s.userId ? " AND m.user_id = ?3" : ""}`;
	const params: unknown[] = [s.since, s.until, ...(s.userId ? [s.userId] : [])];
	const order =
		s.by === "day" ? "key ASC" : "priced_usd DESC, (SUM(m.input_tokens) + SUM(m.output_tokens)) DESC, key ASC";
	// A task's instruction labels its row; a chat turn's message only for the chat's owner.
	const label =
		s.by === "task"
			? `, (SELECT substr(t.instruction, 1, 120) FROM tasks t
			     WHERE t.id = m.task_id AND (t.kind <> 'chat' OR t.user_id = ?${params.length + 1})) AS label`
			: "";
	const [grouped, total] = await db.batch<SumRow>([
		db
			.prepare(
				`SELECT ${KEY[s.by]} AS key, ${SUMS}${label} FROM model_calls m WHERE ${where}
				 GROUP BY ${KEY[s.by]} ORDER BY ${order} LIMIT ${Math.trunc(s.limit)}`,
			)
			.bind(...params, ...(label ? [s.viewer] : [])),
		db.prepare(`SELECT '' AS key, ${SUMS} FROM model_calls m WHERE ${where}`).bind(...params),
	]);
	const rows = (grouped?.results ?? []).map((r) => {
		const { label: text, ...row } = toUsageRow(r);
		return r.label ? { ...row, label: text ?? undefined } : row;
	});
	const { key: _key, label: _label, ...sum } = toUsageRow(total?.results[0] ?? emptySum());
	return { rows, total: sum };
}

function toUsageRow(r: SumRow): UsageRow & { label?: string } {
	const unpriced = r.unpriced_calls ?? 0;
	return {
		key: String(r.key),
		...(r.label ? { label: r.label } : {}),
		runs: r.runs ?? 0,
		calls: r.calls ?? 0,
		input_tokens: r.input_tokens ?? 0,
		output_tokens: r.output_tokens ?? 0,
		cached_input_tokens: r.cached_input_tokens ?? 0,
		reasoning_tokens: r.reasoning_tokens ?? 0,
		cost_usd: unpriced > 0 ? null : roundUsd(r.priced_usd ?? 0),
		unpriced_calls: unpriced,
	};
}

function emptySum(): SumRow {
	return {
		key: "",
		runs: 0,
		calls: 0,
		input_tokens: 0,
		output_tokens: 0,
		cached_input_tokens: 0,
		reasoning_tokens: 0,
		priced_usd: 0,
		unpriced_calls: 0,
	};
}

/** Dollars to a millionth of a cent: sums of floats lose their last digits, not their cents. */
export function roundUsd(usd: number): number {
	return Math.round(usd * 1e8) / 1e8;
}
