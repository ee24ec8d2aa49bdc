import type { WebhookDelivery, WebhookEvent } from "../protocol/index.ts";

/**
 * Completion webhooks' tables (migration 0015, docs/webhooks.md): each user's signing secret
 * (sealed: webhooks/secret.ts) and one row per delivery. A delivery is sent by whoever holds
 * its lease (the first attempt, where the task changed, or a sweep); every write after the
 * claim is fenced by the lease owner, so two senders never record over each other.
 */

/** A row of `webhook_deliveries`. */
export type DeliveryRow = {
	id: string;
	user_id: string;
	task_id: string;
	attempt: number;
	type: WebhookEvent;
	url: string;
	body: string;
	status: "pending" | "delivered" | "failed";
	attempts: number;
	last_status_code: number | null;
	last_error: string | null;
	created_at: number;
	first_attempt_at: number | null;
	next_attempt_at: number | null;
	lease_owner: string | null;
	lease_expires_at: number | null;
	delivered_at: number | null;
};

export type NewDelivery = Pick<
	DeliveryRow,
	| "id"
	| "user_id"
	| "task_id"
	| "attempt"
	| "type"
	| "url"
	| "body"
	| "created_at"
	| "next_attempt_at"
	| "lease_owner"
	| "lease_expires_at"
>;

export function toWebhookDelivery(row: DeliveryRow): WebhookDelivery {
	return {
		id: row.id,
		type: row.type,
		status: row.status,
		attempts: row.attempts,
		last_status_code: row.last_status_code,
		last_error: row.last_error,
		next_attempt_at: row.status === "pending" ? row.next_attempt_at : null,
		delivered_at: row.delivered_at,
		created_at: row.created_at,
	};
}

/** The sealed secret of a user, or null before their first read. */
export async function sealedWebhookSecret(db: D1Database, userId: string): Promise<string | null> {
	const row = await db
		.prepare("SELECT secret FROM webhook_secrets WHERE user_id = ?")
		.bind(userId)
		.first<{ secret: string }>();
	return row?.secret ?? null;
}

/** Stores a user's first secret unless one exists (two first reads at once keep one); returns the one stored. */
export async function insertWebhookSecret(
	db: D1Database,
	userId: string,
	sealed: string,
	now: number,
): Promise<string> {
	const [, read] = await db.batch<{ secret: string }>([
		db
			.prepare(
				`INSERT INTO webhook_secrets (user_id, secret, created_at, updated_at) VALUES (?, ?, ?, ?)
				 ON CONFLICT (user_id) DO NOTHING`,
			)
			.bind(userId, sealed, now, now),
		db.prepare("SELECT secret FROM webhook_secrets WHERE user_id = ?").bind(userId),
	]);
	return read?.results[0]?.secret ?? sealed;
}

/** Replaces (or sets) a user's secret. */
export async function replaceWebhookSecret(db: D1Database, userId: string, sealed: string, now: number): Promise<void> {
	await db
		.prepare(
			`INSERT INTO webhook_secrets (user_id, secret, created_at, updated_at) VALUES (?, ?, ?, ?)
			 ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, updated_at = excluded.updated_at`,
		)
		.bind(userId, sealed, now, now)
		.run();
}

/**
 * Records a delivery unless the same event of the same attempt was recorded before (the
 * UNIQUE (task_id, attempt, type) decides: null then). In the same transaction, the user's
 * pending deliveries past `maxPending` fail, oldest first (`dropped`), except any being sent.
 */
export async function insertDelivery(
	db: D1Database,
	row: NewDelivery,
	maxPending: number,
	now: number,
): Promise<DeliveryRow | null> {
	const insert = db
		.prepare(
			`INSERT INTO webhook_deliveries (id, user_id, task_id, attempt, type, url, body, status, attempts, created_at,
			   next_attempt_at, lease_owner, lease_expires_at)
			 VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?)
			 ON CONFLICT (task_id, attempt, type) DO NOTHING RETURNING *`,
		)
		.bind(
			row.id,
			row.user_id,
			row.task_id,
			row.attempt,
			row.type,
			row.url,
			row.body,
			row.created_at,
			row.next_attempt_at,
			row.lease_owner,
			row.lease_expires_at,
		);
	const drop = db
		.prepare(
			`UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL, lease_owner = NULL, lease_expires_at = NULL,
			   last_error = ?
			 WHERE id IN (SELECT id FROM webhook_deliveries WHERE user_id = ? AND status = 'pending'
			   ORDER BY created_at DESC, id DESC LIMIT -1 OFFSET ?)
			   AND (lease_expires_at IS NULL OR lease_expires_at <= ?)`,
		)
		.bind(
			`dropped: more than ${maxPending} deliveries of this user were pending (the oldest are dropped first)`,
			row.user_id,
			maxPending,
			now,
		);
	const [inserted] = await db.batch<DeliveryRow>([insert, drop]);
	return inserted?.results[0] ?? null;
}

/**
 * Takes up to `limit` due deliveries (pending, `next_attempt_at` reached, no live lease) for
 * `owner` until `leaseUntil`, in one statement: two sweeps at once never take the same one.
 */
export async function claimDueDeliveries(
	db: D1Database,
	owner: string,
	now: number,
	leaseUntil: number,
	limit: number,
): Promise<DeliveryRow[]> {
	const { results } = await db
		.prepare(
			`UPDATE webhook_deliveries SET lease_owner = ?1, lease_expires_at = ?2
			 WHERE id IN (SELECT id FROM webhook_deliveries
			   WHERE status = 'pending' AND next_attempt_at <= ?3 AND (lease_expires_at IS NULL OR lease_expires_at <= ?3)
			   ORDER BY next_attempt_at LIMIT ?4)
			 RETURNING *`,
		)
		.bind(owner, leaseUntil, now, limit)
		.all<DeliveryRow>();
	return results;
}

/** What one HTTP attempt came to, as the row records it. */
export interface AttemptRecord {
	status: "pending" | "delivered" | "failed";
	statusCode: number | null;
	error: string | null;
	/** When to try again (pending), else null. */
	nextAttemptAt: number | null;
	at: number;
}

/** Records an attempt made under `owner`'s lease (a lease lost meanwhile records nothing: null). */
export async function recordAttempt(
	db: D1Database,
	id: string,
	owner: string,
	record: AttemptRecord,
): Promise<DeliveryRow | null> {
	return db
		.prepare(
			`UPDATE webhook_deliveries SET status = ?, attempts = attempts + 1, last_status_code = ?, last_error = ?,
			   next_attempt_at = ?, first_attempt_at = coalesce(first_attempt_at, ?),
			   delivered_at = CASE WHEN ? = 'delivered' THEN ? ELSE delivered_at END,
			   lease_owner = NULL, lease_expires_at = NULL
			 WHERE id = ? AND lease_owner = ? AND status = 'pending' RETURNING *`,
		)
		.bind(
			record.status,
			record.statusCode,
			record.error,
			record.nextAttemptAt,
			record.at,
			record.status,
			record.at,
			id,
			owner,
		)
		.first<DeliveryRow>();
}

/** A task's deliveries, newest first. */
export async function taskDeliveries(db: D1Database, taskId: string, limit: number): Promise<DeliveryRow[]> {
	const { results } = await db
		.prepare("SELECT * FROM webhook_deliveries WHERE task_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?")
		.bind(taskId, limit)
		.all<DeliveryRow>();
	return results;
}
