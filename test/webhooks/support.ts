import { env } from "cloudflare:workers";
import { inject } from "vitest";
import type { Approval, Task, WebhookDelivery, WebhookView } from "../../src/protocol/index.ts";
import type { DeliveryRow } from "../../src/storage/webhooks.ts";
import { api, json } from "../support/api.ts";
import { deliver, reload } from "../support/tasks.ts";
import type { ReceivedWebhook } from "../support/webhook-receiver.ts";

export const receiverUrl = inject("webhookReceiverUrl");

export type TaskView = Task & {
	approvals: Approval[];
	webhook?: WebhookView;
	webhook_deliveries?: WebhookDelivery[];
};

/** A tag of its own for one test, and its receiver URL with `path` (`/ok`, `/status/500`, `/fail/1`, `/hang`). */
export function hook(path = "/ok"): { tag: string; url: string } {
	const tag = crypto.randomUUID();
	return { tag, url: `${receiverUrl}/t/${tag}${path}` };
}

/** What the receiver got for `tag`; with `secret`, each says whether its signature verifies with it. */
export async function received(tag: string, secret?: string): Promise<ReceivedWebhook[]> {
	const query = new URLSearchParams({ tag, ...(secret ? { secret } : {}) });
	const res = await fetch(`${receiverUrl}/__received?${query}`);
	return ((await res.json()) as { received: ReceivedWebhook[] }).received;
}

/** Waits (up to 5 s) until the receiver has at least `count` requests for `tag`. */
export async function receivedAtLeast(tag: string, count: number, secret?: string): Promise<ReceivedWebhook[]> {
	const until = Date.now() + 5_000;
	for (;;) {
		const got = await received(tag, secret);
		if (got.length >= count || Date.now() > until) return got;
		await new Promise((resolve) => setTimeout(resolve, 25));
	}
}

export async function secretOf(token: string): Promise<string> {
	const res = await api("/api/me/webhook-secret", { token });
	if (res.status !== 200) throw new Error(`webhook secret: ${res.status} ${await res.text()}`);
	return (await json<{ secret: string }>(res)).secret;
}

export async function createTask(token: string, body: Record<string, unknown>): Promise<TaskView> {
	const res = await api("/api/tasks", { token, body: { allow_duplicates: true, ...body } });
	if (res.status !== 201) throw new Error(`create task: ${res.status} ${await res.text()}`);
	return (await json<{ task: TaskView }>(res)).task;
}

export async function view(token: string, id: string): Promise<TaskView> {
	return (await json<{ task: TaskView }>(api(`/api/tasks/${id}`, { token }))).task;
}

/**
 * Runs the task's queue message through the real consumer, awaiting what it left to
 * `waitUntil` (the webhook's first attempt), and waits until the task is in one of `statuses`
 * (the local queue may have run it first).
 */
export async function runTask(taskId: string, statuses: string[], attempts = 1): Promise<void> {
	const pending: Promise<unknown>[] = [];
	await deliver(taskId, { waitUntil: (p) => void pending.push(p) }, attempts);
	await Promise.all(pending);
	const until = Date.now() + 10_000;
	while (!statuses.includes((await reload(taskId)).status)) {
		if (Date.now() > until) throw new Error(`task ${taskId} is ${(await reload(taskId)).status}, not ${statuses}`);
		await new Promise((resolve) => setTimeout(resolve, 25));
	}
}

/** A task's delivery rows, oldest first. */
export async function deliveryRows(taskId: string): Promise<DeliveryRow[]> {
	const { results } = await env.DB.prepare(
		"SELECT * FROM webhook_deliveries WHERE task_id = ? ORDER BY created_at, rowid",
	)
		.bind(taskId)
		.all<DeliveryRow>();
	return results;
}

/** Waits (up to 5 s) until the task's deliveries are no longer being sent (no lease held, or none pending). */
export async function settledDeliveries(taskId: string, count: number): Promise<DeliveryRow[]> {
	const until = Date.now() + 5_000;
	for (;;) {
		const rows = await deliveryRows(taskId);
		const busy = rows.some((r) => r.status === "pending" && r.lease_owner !== null && r.attempts === 0);
		if ((rows.length >= count && !busy) || Date.now() > until) return rows;
		await new Promise((resolve) => setTimeout(resolve, 25));
	}
}

/** Ends what a test left pending, so no later sweep (this file's or another's) sends it. */
export async function dropPending(): Promise<void> {
	await env.DB.prepare(
		"UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL WHERE status = 'pending' AND url LIKE ?",
	)
		.bind(`${receiverUrl}/%`)
		.run();
}
