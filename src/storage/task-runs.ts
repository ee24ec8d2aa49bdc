import type { Approval } from "../protocol/index.ts";
import { approvalsOf, denyPendingIfCancelled, NOTHING_PENDING_SQL } from "./approvals.ts";
import {
	type CheckpointWrite,
	checkpointReads,
	checkpointStatements,
	readCheckpoint,
	type SavedRun,
} from "./checkpoints.ts";
import { waitingDependentsQuery } from "./dependencies.ts";
import type { TaskRow } from "./tasks.ts";

/*
 * A run's hold on its task: claim with a lease, renew it, finish fenced by it, and the
 * sweep's and dead-letter queue's recovery when a runner dies or a message is lost.
 */

/**
 * Claims a queued task for one run: only a `queued`, uncancelled task can be claimed, so a
 * redelivered message for a task that is running or finished claims nothing. A chat turn
 * is claimed only when it is its chat's oldest queued turn and no turn of that chat is
 * running or waiting for approval: turns never interleave, and run in the order they were sent.
 * The task's checkpoint is read in the same round trip (one transaction: the checkpoint read
 * is the one the claimed run goes on from).
 */
export async function claimWithCheckpoint(
	db: D1Database,
	id: string,
	owner: string,
	now: number,
	leaseMs: number,
): Promise<{ row: TaskRow; saved: SavedRun } | null> {
	const results = await db.batch([claimStatement(db, id, owner, now, leaseMs), ...checkpointReads(db, id)]);
	const row = results[0]?.results[0] as TaskRow | undefined;
	return row ? { row, saved: readCheckpoint(results) } : null;
}

function claimStatement(db: D1Database, id: string, owner: string, now: number, leaseMs: number): D1PreparedStatement {
	return db
		.prepare(
			`UPDATE tasks SET status = 'running', attempts = attempts + 1, lease_owner = ?, lease_expires_at = ?,
			   started_at = coalesce(started_at, ?), updated_at = ?
			 WHERE id = ? AND status = 'queued' AND cancel_requested_at IS NULL
			   AND (kind != 'chat' OR (
			     NOT EXISTS (SELECT 1 FROM tasks r WHERE r.chat_id = tasks.chat_id AND r.kind = 'chat'
			                 AND r.status IN ('running', 'awaiting_approval'))
			     AND id = (SELECT q.id FROM tasks q WHERE q.chat_id = tasks.chat_id AND q.kind = 'chat' AND q.status = 'queued'
			               ORDER BY q.created_at, q.id LIMIT 1)))
			 RETURNING *`,
		)
		.bind(owner, now + leaseMs, now, now, id);
}

/** Extends a run's lease; null when the run no longer holds the task. */
export async function renewLease(
	db: D1Database,
	id: string,
	owner: string,
	now: number,
	leaseMs: number,
): Promise<{ cancel_requested_at: number | null } | null> {
	return db
		.prepare(
			`UPDATE tasks SET lease_expires_at = ? WHERE id = ? AND status = 'running' AND lease_owner = ?
			 RETURNING cancel_requested_at`,
		)
		.bind(now + leaseMs, id, owner)
		.first<{ cancel_requested_at: number | null }>();
}

export interface RunOutcome {
	/**
	 * `queued`: back for a retry; `awaiting_approval`: paused until a person decides. What is
	 * written can differ (see finishRun): `cancelled`, or `queued` for a pause already decided.
	 */
	status: "succeeded" | "failed" | "cancelled" | "queued" | "awaiting_approval";
	result?: string | null;
	error?: string | null;
	model?: string | null;
	inputTokens?: number;
	outputTokens?: number;
	/** Tool calls of the run that failed or were denied (a run that completed); kept when absent. */
	toolFailures?: number;
}

/** A run's end as recorded: the task's row, and (when it ended for good) what waits on it. */
export interface FinishedRun {
	row: TaskRow;
	/** Tasks waiting on this one, read in the same transaction; undefined unless it ended for good. */
	waiting: TaskRow[] | undefined;
	/** Approvals the end closed as denied (a cancel that came while the run was pausing). */
	closed: Approval[];
}

/** The error of a run whose cancel came while it was pausing or going back for a retry. */
const CANCELLED_WHILE_ENDING = "cancelled while running";

/**
 * Ends a run, fenced by its lease: a run that lost its lease (the sweep gave the task to
 * another run) changes nothing (null). `queued` puts the task back for a retry. `last`, the
 * run's last checkpoint write (its answer), goes in the same transaction, under the same fence,
 * and so does the read of the tasks waiting on it: the end is one round trip.
 *
 * A pause's approval is stored and announced before its run ends, so what happened meanwhile
 * is settled here, in the same statement: a cancel requested while the task was still
 * `running` ends it `cancelled` (no run would ever claim it, and its pending approvals are
 * denied in the same batch); a decision made meanwhile found no paused task to resume, so a
 * pause with nothing left pending is written `queued` (the caller sends its message).
 */
export async function finishRun(
	db: D1Database,
	id: string,
	owner: string,
	outcome: RunOutcome,
	now: number,
	last?: CheckpointWrite,
): Promise<FinishedRun | null> {
	// ?1 the outcome's status, ?7 now (numbered: each is used several times).
	const cancels = "(?1 IN ('queued', 'awaiting_approval') AND cancel_requested_at IS NOT NULL)";
	const decided = `(?1 = 'awaiting_approval' AND ${NOTHING_PENDING_SQL})`;
	const ends = `(?1 IN ('succeeded', 'failed', 'cancelled') OR ${cancels})`;
	const update = db
		.prepare(
			`UPDATE tasks SET status = CASE WHEN ${cancels} THEN 'cancelled' WHEN ${decided} THEN 'queued' ELSE ?1 END,
			   result = coalesce(?2, result), error = CASE WHEN ${cancels} THEN ?10 ELSE ?3 END,
			   model = coalesce(?4, model), input_tokens = input_tokens + ?5, output_tokens = output_tokens + ?6,
			   tool_failures = coalesce(?11, tool_failures),
			   lease_owner = NULL, lease_expires_at = NULL, updated_at = ?7,
			   finished_at = CASE WHEN ${ends} THEN ?7 ELSE NULL END,
			   active_fingerprint = CASE WHEN ${ends} THEN NULL ELSE active_fingerprint END,
			   enqueued_at = CASE WHEN ${ends} THEN enqueued_at WHEN ${decided} THEN NULL ELSE ?7 END
			 WHERE id = ?8 AND status = 'running' AND lease_owner = ?9 RETURNING *`,
		)
		.bind(
			outcome.status,
			outcome.result ?? null,
			outcome.error ?? null,
			outcome.model ?? null,
			outcome.inputTokens ?? 0,
			outcome.outputTokens ?? 0,
			now,
			id,
			owner,
			CANCELLED_WHILE_ENDING,
			outcome.toolFailures ?? null,
		);
	const before = last ? checkpointStatements(db, id, last, now, owner) : [];
	const after = [denyPendingIfCancelled(db, id, now), waitingDependentsQuery(db, id)];
	const results = await db.batch([...before, update, ...after]);
	const row = results[before.length]?.results[0] as TaskRow | undefined;
	if (!row) return null;
	const ended = row.status !== "queued" && row.status !== "awaiting_approval";
	return {
		row,
		waiting: ended ? ((results.at(-1)?.results ?? []) as TaskRow[]) : undefined,
		closed: approvalsOf(results.at(-2)),
	};
}

/** Running tasks whose lease expired: their runner died. */
export async function expiredLeases(db: D1Database, now: number, limit = 50): Promise<TaskRow[]> {
	const { results } = await db
		.prepare("SELECT * FROM tasks WHERE status = 'running' AND lease_expires_at < ? LIMIT ?")
		.bind(now, limit)
		.all<TaskRow>();
	return results;
}

/** Runs that counted against `max_attempts`: every run but those that paused for approval. */
export const FAILED_RUNS_SQL =
	"(attempts - coalesce((SELECT c.pauses FROM task_checkpoints c WHERE c.task_id = tasks.id), 0))";

/**
 * Takes an expired lease away from its dead runner: back to queued, or failed when out of
 * attempts, or cancelled when someone asked it to stop (no run could ever claim it again).
 */
export async function recoverExpired(db: D1Database, row: TaskRow, now: number): Promise<TaskRow | null> {
	const error = `the runner stopped responding (lease expired) during attempt ${row.attempts}`;
	const exhausted = `${FAILED_RUNS_SQL} >= max_attempts`;
	const ends = `(cancel_requested_at IS NOT NULL OR ${exhausted})`;
	return db
		.prepare(
			`UPDATE tasks SET status = CASE WHEN cancel_requested_at IS NOT NULL THEN 'cancelled'
			                                WHEN ${exhausted} THEN 'failed' ELSE 'queued' END,
			   error = CASE WHEN cancel_requested_at IS NOT NULL THEN ? WHEN ${exhausted} THEN ? ELSE ? END,
			   lease_owner = NULL, lease_expires_at = NULL, updated_at = ?,
			   finished_at = CASE WHEN ${ends} THEN ? ELSE NULL END,
			   active_fingerprint = CASE WHEN ${ends} THEN NULL ELSE active_fingerprint END
			 WHERE id = ? AND status = 'running' AND lease_owner = ? AND lease_expires_at < ? RETURNING *`,
		)
		.bind(CANCELLED_AFTER_CRASH, `${error}; no attempts left`, error, now, now, row.id, row.lease_owner, now)
		.first<TaskRow>();
}

const CANCELLED_AFTER_CRASH = "cancelled (its runner stopped before it could stop the run)";

/**
 * Ends queued tasks someone asked to cancel while they ran (the claim refuses them, so nothing
 * else would): `id` for one (the consumer, when its claim finds nothing), else any (the sweep).
 */
export async function endCancelRequested(db: D1Database, now: number, id?: string): Promise<TaskRow[]> {
	const { results } = await db
		.prepare(
			`UPDATE tasks SET status = 'cancelled', error = ?, lease_owner = NULL, lease_expires_at = NULL,
			   active_fingerprint = NULL, updated_at = ?, finished_at = ?
			 WHERE status = 'queued' AND cancel_requested_at IS NOT NULL${id === undefined ? "" : " AND id = ?"} RETURNING *`,
		)
		.bind(CANCELLED_AFTER_CRASH, now, now, ...(id === undefined ? [] : [id]))
		.all<TaskRow>();
	return results;
}

/** Queued tasks whose message may have been lost (sent long ago, or never). */
export async function staleQueued(db: D1Database, sentBefore: number, limit = 50): Promise<TaskRow[]> {
	const { results } = await db
		.prepare(
			"SELECT * FROM tasks WHERE status = 'queued' AND (enqueued_at IS NULL OR enqueued_at < ?) ORDER BY created_at LIMIT ?",
		)
		.bind(sentBefore, limit)
		.all<TaskRow>();
	return results;
}

/** Whether a run still holds its task, and whether someone asked it to stop. */
export async function runState(
	db: D1Database,
	id: string,
	owner: string,
): Promise<{ cancelRequested: boolean } | null> {
	const row = await db
		.prepare("SELECT cancel_requested_at, status, lease_owner FROM tasks WHERE id = ?")
		.bind(id)
		.first<{ cancel_requested_at: number | null; status: string; lease_owner: string | null }>();
	if (row?.status !== "running" || row.lease_owner !== owner) return null;
	return { cancelRequested: row.cancel_requested_at !== null };
}

/** Fails a task that is not finished (dead-lettered message). */
export async function failUnfinished(db: D1Database, id: string, error: string, now: number): Promise<TaskRow | null> {
	return db
		.prepare(
			`UPDATE tasks SET status = 'failed', error = ?, lease_owner = NULL, lease_expires_at = NULL,
			   active_fingerprint = NULL, updated_at = ?, finished_at = ?
			 WHERE id = ? AND status IN ('queued', 'running') RETURNING *`,
		)
		.bind(error, now, now, id)
		.first<TaskRow>();
}
