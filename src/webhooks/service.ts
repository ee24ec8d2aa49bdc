import type { Deps } from "../deps.ts";
import { invalid } from "../errors.ts";
import { log } from "../log.ts";
import {
	newId,
	WEBHOOK_EVENTS,
	type WebhookDelivery,
	type WebhookEvent,
	WebhookEventSchema,
	WebhookLimits,
	type WebhookSpec,
	type WebhookView,
} from "../protocol/index.ts";
import type { TaskRow } from "../storage/tasks.ts";
import {
	claimDueDeliveries,
	type DeliveryRow,
	insertDelivery,
	recordAttempt,
	taskDeliveries,
	toWebhookDelivery,
} from "../storage/webhooks.ts";
import { webhookConfig } from "./config.ts";
import { RETRY_WINDOW_MS, retryDelayMs, type SendOptions, sendDelivery } from "./deliver.ts";
import { deliveryBody } from "./payload.ts";
import { canKeepSecrets, secretsMissing, webhookSecret } from "./secret.ts";
import { checkWebhookUrl, originOf, shownUrl } from "./url.ts";

/**
 * Completion webhooks (docs/webhooks.md). A task's webhook is checked when it is given
 * (`checkedWebhook`); when the task ends or starts waiting for approval, `taskChanged` records
 * one delivery per event (UNIQUE per task, attempt and type: the same transition never makes
 * two) and, where the caller can keep work alive past its answer (`deps.waitUntil`), makes the
 * first attempt at once; otherwise, and for every retry, the clock's sweep sends it
 * (`deliverDueWebhooks`, a few per sweep, each under a lease).
 */

/** A webhook as stored on a task or schedule (`webhook` column, JSON). */
export interface StoredWebhook {
	url: string;
	events: WebhookEvent[];
}

/** A lease on a delivery being sent: longer than the slowest sweep takes to send its batch. */
export const DELIVERY_LEASE_MS = 120_000;
/** Deliveries one sweep takes at most, and how many it sends at once. */
export const SWEEP_BATCH = 10;
const SWEEP_CONCURRENCY = 5;

const EVENT_OF: Partial<Record<TaskRow["status"], WebhookEvent>> = {
	succeeded: "task.succeeded",
	failed: "task.failed",
	cancelled: "task.cancelled",
	awaiting_approval: "task.awaiting_approval",
};

/**
 * A webhook given to a new task or a schedule, checked (the network guard, https) and ready to
 * store; a refusal is a 400 that says why. Needs SPARKY_SECRETS_KEY (503 without: nothing
 * could ever be signed).
 */
export function checkedWebhook(env: Env, spec: WebhookSpec): string {
	const checked = checkWebhookUrl(spec.url, webhookConfig(env).allow);
	if (!checked.ok) throw invalid(`webhook URL refused: ${checked.reason}`, { field: "webhook.url" });
	if (!canKeepSecrets(env)) throw secretsMissing();
	const events = WEBHOOK_EVENTS.filter((e) => (spec.events ?? WEBHOOK_EVENTS).includes(e));
	return JSON.stringify({ url: checked.url.href, events } satisfies StoredWebhook);
}

export function parseWebhook(stored: string | null | undefined): StoredWebhook | null {
	if (!stored) return null;
	try {
		const value = JSON.parse(stored) as { url?: unknown; events?: unknown };
		if (typeof value.url !== "string" || !Array.isArray(value.events)) return null;
		const events = value.events.filter((e): e is WebhookEvent => WebhookEventSchema.safeParse(e).success);
		return { url: value.url, events };
	} catch {
		return null;
	}
}

/** How the API shows a stored webhook: the URL without its query string. */
export function webhookView(stored: string | null | undefined): WebhookView | null {
	const webhook = parseWebhook(stored);
	return webhook ? { url: shownUrl(webhook.url), events: webhook.events } : null;
}

/**
 * The tasks changed (ended, or started waiting for approval): each one with a webhook that
 * wants this event gets a delivery. Never throws: a webhook's trouble is logged, and the
 * task's ending goes on.
 */
export async function taskChanged(deps: Deps, rows: readonly TaskRow[], now = Date.now()): Promise<void> {
	for (const row of rows) {
		const type = EVENT_OF[row.status];
		const webhook = parseWebhook(row.webhook);
		if (!type || !webhook?.events.includes(type)) continue;
		try {
			await recordAndSend(deps, row, webhook, type, now);
		} catch (error) {
			log.error("could not record a webhook delivery", { taskId: row.id, type, origin: originOf(webhook.url), error });
		}
	}
}

async function recordAndSend(
	deps: Deps,
	row: TaskRow,
	webhook: StoredWebhook,
	type: WebhookEvent,
	now: number,
): Promise<void> {
	const { env } = deps;
	const id = newId("whd", 12);
	// Held by this first attempt when there is one; otherwise due now, for the next sweep.
	const owner = deps.waitUntil ? newId("whs", 9) : null;
	const inserted = await insertDelivery(
		env.DB,
		{
			id,
			user_id: row.user_id,
			task_id: row.id,
			attempt: row.attempts,
			type,
			url: webhook.url,
			body: await deliveryBody(env.DB, row, type, id, now),
			created_at: now,
			next_attempt_at: now,
			lease_owner: owner,
			lease_expires_at: owner ? now + DELIVERY_LEASE_MS : null,
		},
		webhookConfig(env).maxPending,
		now,
	);
	if (!inserted) return; // this transition was recorded before
	if (owner && deps.waitUntil) deps.waitUntil(attempt(env, inserted, owner, now));
}

export interface DeliverOptions {
	limit?: number;
	fetch?: typeof fetch;
	timeoutMs?: number;
}

/**
 * The sweep's step (runner/sweep.ts, every few seconds): up to `limit` due deliveries, taken
 * under a lease, sent a few at a time. Returns how many were sent and how they went.
 */
export async function deliverDueWebhooks(
	env: Env,
	now: number,
	options: DeliverOptions = {},
): Promise<{ sent: number; delivered: number }> {
	const owner = newId("whs", 9);
	const due = await claimDueDeliveries(env.DB, owner, now, now + DELIVERY_LEASE_MS, options.limit ?? SWEEP_BATCH);
	let delivered = 0;
	let next = 0;
	const worker = async () => {
		while (next < due.length) {
			const row = due[next++] as DeliveryRow;
			if ((await attempt(env, row, owner, now, options)) === "delivered") delivered++;
		}
	};
	await Promise.all(Array.from({ length: Math.min(SWEEP_CONCURRENCY, due.length) }, worker));
	return { sent: due.length, delivered };
}

/** One attempt under `owner`'s lease, recorded; never throws. */
async function attempt(
	env: Env,
	row: DeliveryRow,
	owner: string,
	now: number,
	options: DeliverOptions = {},
): Promise<DeliveryRow["status"] | undefined> {
	const origin = originOf(row.url);
	try {
		const send: SendOptions = {
			allow: webhookConfig(env).allow,
			// The secret current now: a rotation signs every attempt after it with the new one.
			secret: await webhookSecret(env, row.user_id, now),
			now,
			fetch: options.fetch,
			timeoutMs: options.timeoutMs,
		};
		const outcome = await sendDelivery(row, send);
		const attempts = row.attempts + 1;
		if (outcome.ok) {
			await recordAttempt(env.DB, row.id, owner, {
				status: "delivered",
				statusCode: outcome.statusCode,
				error: null,
				nextAttemptAt: null,
				at: now,
			});
			log.info("webhook delivered", { delivery: row.id, taskId: row.task_id, type: row.type, origin, attempts });
			return "delivered";
		}
		const retryAt = now + retryDelayMs(attempts);
		const giveUp = outcome.final || retryAt > (row.first_attempt_at ?? now) + RETRY_WINDOW_MS;
		await recordAttempt(env.DB, row.id, owner, {
			status: giveUp ? "failed" : "pending",
			statusCode: outcome.statusCode,
			error: outcome.error,
			nextAttemptAt: giveUp ? null : retryAt,
			at: now,
		});
		log.warn(giveUp ? "webhook delivery failed for good" : "webhook delivery failed; will retry", {
			delivery: row.id,
			taskId: row.task_id,
			type: row.type,
			origin,
			attempts,
			status: outcome.statusCode,
			error: outcome.error,
		});
		return giveUp ? "failed" : "pending";
	} catch (error) {
		// D1 or the secret (SPARKY_SECRETS_KEY gone): the lease runs out and a later sweep tries again.
		log.error("webhook attempt could not be made", { delivery: row.id, taskId: row.task_id, origin, error });
		return undefined;
	}
}

/** What `GET /api/tasks/:id` adds for a task with a webhook; nothing for one without. */
export async function taskWebhookFields(
	db: D1Database,
	row: TaskRow,
): Promise<{ webhook?: WebhookView; webhook_deliveries?: WebhookDelivery[] }> {
	const webhook = webhookView(row.webhook);
	if (!webhook) return {};
	return { webhook, webhook_deliveries: await webhookDeliveries(db, row.id, WebhookLimits.shownDeliveries) };
}

/** A task's deliveries, newest first. */
export async function webhookDeliveries(db: D1Database, taskId: string, limit: number): Promise<WebhookDelivery[]> {
	return (await taskDeliveries(db, taskId, limit)).map(toWebhookDelivery);
}
