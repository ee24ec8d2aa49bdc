import type { Task, TaskKind, TaskStatus } from "../protocol/index.ts";
import type { InitialCheckpoint } from "./checkpoints.ts";
import type { SqlCondition } from "./usage.ts";

/** A row of `tasks`, as stored. */
export type TaskRow = {
	id: string;
	kind: TaskKind;
	user_id: string;
	instruction: string;
	metadata: string | null;
	chat_id: string | null;
	chat_user_id: string | null;
	status: TaskStatus;
	attempts: number;
	max_attempts: number;
	fingerprint: string;
	active_fingerprint: string | null;
	idempotency_key: string | null;
	parent_task_id: string | null;
	depth: number;
	schedule_name: string | null;
	model: string | null;
	result: string | null;
	error: string | null;
	input_tokens: number;
	output_tokens: number;
	lease_owner: string | null;
	lease_expires_at: number | null;
	cancel_requested_at: number | null;
	enqueued_at: number | null;
	created_at: number;
	updated_at: number;
	started_at: number | null;
	finished_at: number | null;
	/** Tool calls of the last run that failed or were denied (0 before migration 0010). */
	tool_failures: number;
	/** Spend over all its runs, kept with every model call (migration 0014). */
	cached_input_tokens: number;
	reasoning_tokens: number;
	/** Priced calls only; `unpriced_calls` > 0 means the whole is unknown. */
	cost_usd: number;
	unpriced_calls: number;
	/** Its budget in US dollars (`null`: none). */
	max_cost_usd: number | null;
	/** The W3C traceparent its runs' spans belong to. */
	traceparent: string | null;
	/** Its webhook, JSON `{"url", "events"}` (migration 0015; webhooks/), or null. */
	webhook: string | null;
};

export type NewTask = Pick<
	TaskRow,
	| "id"
	| "kind"
	| "user_id"
	| "instruction"
	| "metadata"
	| "chat_id"
	| "chat_user_id"
	| "status"
	| "max_attempts"
	| "fingerprint"
	| "active_fingerprint"
	| "idempotency_key"
	| "parent_task_id"
	| "depth"
	| "schedule_name"
	| "created_at"
> &
	/** Set when the caller sends its queue message right after the insert (saves an update). */
	Partial<Pick<TaskRow, "enqueued_at" | "max_cost_usd" | "traceparent" | "webhook">>;

/** A finished task that a waiting task still depends on is kept (its outcome is still needed). */
const WAITED_ON = `SELECT 1 FROM task_dependencies d JOIN tasks w ON w.id = d.task_id
	WHERE d.depends_on_id = tasks.id AND w.status = 'waiting'`;

/** The API's view of a row: parsed metadata, usage grouped, lease internals hidden. */
export function toTask(row: TaskRow): Task {
	return {
		id: row.id,
		kind: row.kind,
		user_id: row.user_id,
		instruction: row.instruction,
		metadata: row.metadata ? (JSON.parse(row.metadata) as Record<string, unknown>) : null,
		chat_id: row.chat_id,
		status: row.status,
		attempts: row.attempts,
		max_attempts: row.max_attempts,
		parent_task_id: row.parent_task_id,
		depth: row.depth,
		schedule_name: row.schedule_name,
		model: row.model,
		result: row.result,
		error: row.error,
		usage: {
			input_tokens: row.input_tokens,
			output_tokens: row.output_tokens,
			total_tokens: row.input_tokens + row.output_tokens,
			cached_input_tokens: row.cached_input_tokens ?? 0,
			reasoning_tokens: row.reasoning_tokens ?? 0,
			cost_usd: (row.unpriced_calls ?? 0) > 0 ? null : (row.cost_usd ?? 0),
		},
		...(row.max_cost_usd != null ? { max_cost_usd: row.max_cost_usd } : {}),
		...(row.traceparent ? { trace_id: row.traceparent.split("-")[1] } : {}),
		cancel_requested: row.cancel_requested_at !== null,
		created_at: row.created_at,
		updated_at: row.updated_at,
		started_at: row.started_at,
		finished_at: row.finished_at,
		tool_failures: row.tool_failures ?? 0,
	};
}

export type InsertOutcome =
	| { kind: "created"; row: TaskRow }
	/** Same Idempotency-Key as an earlier request of this user. */
	| { kind: "idempotent"; row: TaskRow }
	/** An identical task is already queued or running. */
	| { kind: "duplicate"; row: TaskRow }
	/** The user already has `openCap` unfinished tasks. */
	| { kind: "capped" };

/** Unfinished. The same text as the partial index `tasks_user_open` (schema.sql), so SQLite uses it. */
const OPEN = "status NOT IN ('succeeded', 'failed', 'cancelled')";

/** How many unfinished tasks a user has (the open-task cap's count): visits only those, by that index. */
export const OPEN_TASKS_OF_USER = `SELECT count(*) FROM tasks WHERE user_id = ? AND ${OPEN}`;

/**
 * Inserts a task, with what its checkpoint starts with (its policy: the tools a person must
 * approve) in the same transaction: a task never exists, not even for a crashed request's
 * moment, without the policy it was created with. The two unique indexes (idempotency key,
 * active fingerprint) decide races; on a conflict we read which one won.
 */
export async function insertTask(
	db: D1Database,
	task: NewTask,
	openCap = Number.MAX_SAFE_INTEGER,
	initial?: InitialCheckpoint,
	/** More writes for the same transaction, each conditioned on this insert's row (its attachments). */
	also: D1PreparedStatement[] = [],
	/** A further condition the insert must meet (the creator's budget); when it fails: `capped`. */
	guard?: SqlCondition,
): Promise<InsertOutcome> {
	// The open-task cap (and the guard) are checked in the insert itself: one round trip, and
	// no race between two requests that both counted one under the cap.
	const insert = db
		.prepare(
			`INSERT INTO tasks (id, kind, user_id, instruction, metadata, chat_id, chat_user_id, status, max_attempts,
			   fingerprint, active_fingerprint, idempotency_key, parent_task_id, depth, schedule_name, created_at, updated_at,
			   enqueued_at, max_cost_usd, traceparent, webhook)
			 SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
			 WHERE (${OPEN_TASKS_OF_USER}) < ?${guard ? ` AND ${guard.sql}` : ""}
			 ON CONFLICT DO NOTHING RETURNING *`,
		)
		.bind(
			task.id,
			task.kind,
			task.user_id,
			task.instruction,
			task.metadata,
			task.chat_id,
			task.chat_user_id,
			task.status,
			task.max_attempts,
			task.fingerprint,
			task.active_fingerprint,
			task.idempotency_key,
			task.parent_task_id,
			task.depth,
			task.schedule_name,
			task.created_at,
			task.created_at,
			task.enqueued_at ?? null,
			task.max_cost_usd ?? null,
			task.traceparent ?? null,
			task.webhook ?? null,
			task.user_id,
			openCap,
			...(guard?.args ?? []),
		);
	let inserted: TaskRow | null;
	if (initial) {
		// Only beside the row this insert made (a conflict or the cap kept it out: nothing).
		const seed = db
			.prepare(
				`INSERT INTO task_checkpoints (task_id, approve, client_tools, updated_at)
				 SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM tasks WHERE id = ? AND user_id = ? AND created_at = ? AND fingerprint = ?)
				 ON CONFLICT (task_id) DO NOTHING`,
			)
			.bind(
				task.id,
				initial.approve,
				initial.client_tools,
				task.created_at,
				task.id,
				task.user_id,
				task.created_at,
				task.fingerprint,
			);
		const [created] = await db.batch<TaskRow>([insert, seed, ...also]);
		inserted = created?.results[0] ?? null;
	} else if (also.length > 0) {
		const [created] = await db.batch<TaskRow>([insert, ...also]);
		inserted = created?.results[0] ?? null;
	} else {
		inserted = await insert.first<TaskRow>();
	}
	if (inserted) return { kind: "created", row: inserted };
	if (task.idempotency_key !== null) {
		const existing = await db
			.prepare("SELECT * FROM tasks WHERE user_id = ? AND idempotency_key = ?")
			.bind(task.user_id, task.idempotency_key)
			.first<TaskRow>();
		if (existing) return { kind: "idempotent", row: existing };
	}
	const active = await db
		.prepare("SELECT * FROM tasks WHERE user_id = ? AND active_fingerprint = ?")
		.bind(task.user_id, task.fingerprint)
		.first<TaskRow>();
	if (active) return { kind: "duplicate", row: active };
	// No conflict to report: the cap's condition kept the row out.
	return { kind: "capped" };
}

export async function getTask(db: D1Database, id: string): Promise<TaskRow | null> {
	return db.prepare("SELECT * FROM tasks WHERE id = ?").bind(id).first<TaskRow>();
}

export interface ListOptions {
	/** Whose tasks (see scopeSql). */
	scope: { kind: "own" | "watch" | "all"; userId: string };
	status?: TaskStatus;
	kind?: TaskKind;
	/** Only this creator's tasks. */
	userId?: string;
	/** A substring of the instruction (case-insensitive for ASCII, LIKE wildcards taken literally). */
	search?: string;
	/** Only follow-ups of this task. */
	parentTaskId?: string;
	limit: number;
	/** Continue after this (created_at, id), newest first. */
	after?: { createdAt: number; id: string };
}

/**
 * SQL for a task scope: `own` is one user's tasks; `watch` is every background task plus the
 * viewer's own; `all` is every task. The policy itself is in tasks/audience.ts.
 */
export function scopeSql(scope: { kind: "own" | "watch" | "all"; userId: string }): { sql: string; args: string[] } {
	if (scope.kind === "all") return { sql: "1 = 1", args: [] };
	return scope.kind === "own"
		? { sql: "user_id = ?", args: [scope.userId] }
		: { sql: "(kind = 'task' OR user_id = ?)", args: [scope.userId] };
}

export async function listTasks(db: D1Database, options: ListOptions): Promise<TaskRow[]> {
	const scope = scopeSql(options.scope);
	const where: string[] = [scope.sql];
	const args: (string | number)[] = [...scope.args];
	if (options.status) {
		where.push("status = ?");
		args.push(options.status);
	}
	if (options.kind) {
		where.push("kind = ?");
		args.push(options.kind);
	}
	if (options.userId) {
		where.push("user_id = ?");
		args.push(options.userId);
	}
	if (options.search) {
		where.push("instruction LIKE ? ESCAPE '\\'");
		args.push(`%${escapeLike(options.search)}%`);
	}
	if (options.parentTaskId) {
		where.push("parent_task_id = ?");
		args.push(options.parentTaskId);
	}
	if (options.after) {
		where.push("(created_at < ? OR (created_at = ? AND id < ?))");
		args.push(options.after.createdAt, options.after.createdAt, options.after.id);
	}
	const sql = `SELECT * FROM tasks ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
		ORDER BY created_at DESC, id DESC LIMIT ?`;
	const { results } = await db
		.prepare(sql)
		.bind(...args, options.limit)
		.all<TaskRow>();
	return results;
}

/** `%`, `_` and the escape character itself match only themselves. */
export const escapeLike = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Cancels a task that is not running (yet, or while it waits for approval). Null when it is running or finished. */
export async function cancelPending(db: D1Database, id: string, now: number): Promise<TaskRow | null> {
	return db
		.prepare(
			`UPDATE tasks SET cancel_requested_at = coalesce(cancel_requested_at, ?),
			   error = CASE WHEN status = 'awaiting_approval' THEN 'cancelled while waiting for approval'
			                ELSE 'cancelled before it ran' END,
			   status = 'cancelled', active_fingerprint = NULL, updated_at = ?, finished_at = ?
			 WHERE id = ? AND status IN ('waiting', 'queued', 'awaiting_approval') RETURNING *`,
		)
		.bind(now, now, now, id)
		.first<TaskRow>();
}

/** Asks a running task to stop at its next step. Null when it isn't running. */
export async function requestCancel(db: D1Database, id: string, now: number): Promise<TaskRow | null> {
	return db
		.prepare(
			`UPDATE tasks SET cancel_requested_at = coalesce(cancel_requested_at, ?), updated_at = ?
			 WHERE id = ? AND status = 'running' RETURNING *`,
		)
		.bind(now, now, id)
		.first<TaskRow>();
}

/** When the task's queue message was sent (null: it wasn't, and the housekeeping tick sends it). */
export async function markEnqueued(db: D1Database, id: string, now: number | null): Promise<void> {
	await db.prepare("UPDATE tasks SET enqueued_at = ? WHERE id = ?").bind(now, id).run();
}

/** Deletes a finished task; null when it is missing or not finished. */
export async function deleteFinished(db: D1Database, id: string): Promise<TaskRow | null> {
	return db
		.prepare(
			`DELETE FROM tasks WHERE id = ? AND status IN ('succeeded', 'failed', 'cancelled') AND NOT EXISTS (${WAITED_ON})
			 RETURNING *`,
		)
		.bind(id)
		.first<TaskRow>();
}

export async function clearFinished(
	db: D1Database,
	scope: { kind: "own" | "watch" | "all"; userId: string },
	statuses: readonly TaskStatus[],
	createdBefore: number | undefined,
): Promise<number> {
	const scoped = scopeSql(scope);
	const where = [`status IN (${statuses.map(() => "?").join(", ")})`, `NOT EXISTS (${WAITED_ON})`, scoped.sql];
	const args: (string | number)[] = [...statuses, ...scoped.args];
	if (createdBefore !== undefined) {
		where.push("created_at < ?");
		args.push(createdBefore);
	}
	const result = await db
		.prepare(`DELETE FROM tasks WHERE ${where.join(" AND ")}`)
		.bind(...args)
		.run();
	return result.meta.changes ?? 0;
}

/** Tasks of a user that have not ended (what SPARKY_MAX_OPEN_TASKS caps). */
export async function countChildren(db: D1Database, parentId: string): Promise<number> {
	const row = await db
		.prepare("SELECT count(*) AS n FROM tasks WHERE parent_task_id = ?")
		.bind(parentId)
		.first<{ n: number }>();
	return row?.n ?? 0;
}

/** The chat's next turn to run: its oldest queued one. */
export async function nextQueuedTurn(db: D1Database, chatId: string): Promise<TaskRow | null> {
	return db
		.prepare(
			"SELECT * FROM tasks WHERE chat_id = ? AND kind = 'chat' AND status = 'queued' ORDER BY created_at, id LIMIT 1",
		)
		.bind(chatId)
		.first<TaskRow>();
}

/** A chat's turns that haven't finished: the running (or paused) one first, then queued in run order. */
export async function openTurns(db: D1Database, chatId: string): Promise<TaskRow[]> {
	const { results } = await db
		.prepare(
			`SELECT * FROM tasks WHERE chat_id = ? AND kind = 'chat' AND status IN ('running', 'awaiting_approval', 'queued')
			 ORDER BY status = 'queued', created_at, id`,
		)
		.bind(chatId)
		.all<TaskRow>();
	return results;
}
