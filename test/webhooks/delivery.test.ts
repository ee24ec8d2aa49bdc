// Completion webhooks (issue #29, docs/webhooks.md): what a receiver gets, signed how, retried
// when. The receiver is a Node server (test/support/webhook-receiver.ts) that checks signatures
// with Node's crypto, the way docs/webhooks.md tells a receiver to.
import { env } from "cloudflare:workers";
import { afterAll, describe, expect, it } from "vitest";
import { depsFor } from "../../src/deps.ts";
import { sweepLeases } from "../../src/runner/sweep.ts";
import type { TaskRow } from "../../src/storage/tasks.ts";
import { RETRY_WINDOW_MS } from "../../src/webhooks/deliver.ts";
import { deliverDueWebhooks, taskChanged } from "../../src/webhooks/service.ts";
import { api, json, newUser } from "../support/api.ts";
import { queuedTask, reload } from "../support/tasks.ts";
import {
	createTask,
	deliveryRows,
	dropPending,
	hook,
	received,
	receivedAtLeast,
	runTask,
	secretOf,
	settledDeliveries,
	view,
} from "./support.ts";

afterAll(dropPending);

const ALL_EVENTS = ["task.succeeded", "task.failed", "task.cancelled", "task.awaiting_approval"];

/** A task row with a webhook, written straight to D1 (no queue message, no run). */
async function taskWithWebhook(userId: string, url: string, overrides: Partial<TaskRow> = {}): Promise<TaskRow> {
	return queuedTask(userId, { webhook: JSON.stringify({ url, events: ALL_EVENTS }), ...overrides });
}

describe("a task's webhook", () => {
	it("a task that succeeds sends one signed POST: the task as GET shows it, usage included", async () => {
		const user = await newUser();
		const secret = await secretOf(user.token);
		expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
		// The same secret on every read until it is rotated.
		expect(await secretOf(user.token)).toBe(secret);
		const { tag, url } = hook("/ok");
		const task = await createTask(user.token, { instruction: "what time is it", webhook: { url: `${url}?token=abc` } });
		await runTask(task.id, ["succeeded"]);

		const got = await receivedAtLeast(tag, 1, secret);
		expect(got).toHaveLength(1);
		const [request] = got;
		expect(request?.method).toBe("POST");
		expect(request?.path).toBe("/ok");
		expect(request?.signature_ok).toBe(true);
		expect(request?.headers).toMatchObject({
			"content-type": "application/json",
			"user-agent": "Sparky-Webhooks/1",
			"sparky-event": "task.succeeded",
		});
		expect(request?.headers["sparky-signature"]).toMatch(/^t=\d{10},v1=[0-9a-f]{64}$/);
		const body = JSON.parse(request?.body ?? "{}");
		expect(request?.headers["sparky-delivery"]).toBe(body.id);
		expect(body).toMatchObject({ id: expect.stringMatching(/^whd_/), type: "task.succeeded" });
		expect(body.created_at).toBeGreaterThan(Date.now() - 60_000);
		// Signed when sent: t is within a minute of now.
		const t = Number(/t=(\d+)/.exec(request?.headers["sparky-signature"] ?? "")?.[1]);
		expect(Math.abs(t - Date.now() / 1000)).toBeLessThan(60);
		const shown = await view(user.token, task.id);
		expect(body.task).toMatchObject({
			id: task.id,
			status: "succeeded",
			result: shown.result,
			attempts: 1,
			usage: shown.usage,
			approvals: [],
			attachments: [],
		});
		expect(body.task.usage.total_tokens).toBeGreaterThan(0);
		// Only the receiver saw the query string; the task shows the URL without it.
		expect(shown.webhook).toEqual({ url, events: ALL_EVENTS });
		expect(JSON.stringify(shown)).not.toContain("token=abc");
		expect(shown.webhook_deliveries).toEqual([
			{
				id: body.id,
				type: "task.succeeded",
				status: "delivered",
				attempts: 1,
				last_status_code: 200,
				last_error: null,
				next_attempt_at: null,
				delivered_at: expect.any(Number),
				created_at: body.created_at,
			},
		]);
		const listed = await json<{ deliveries: unknown[] }>(api(`/api/tasks/${task.id}/webhook-deliveries`, user));
		expect(listed.deliveries).toEqual(shown.webhook_deliveries);

		// The same transition again (a retried ending, a sweep racing the runner) records nothing new.
		await taskChanged({ ...depsFor(env), waitUntil: () => {} }, [await reload(task.id)]);
		expect(await deliveryRows(task.id)).toHaveLength(1);
		expect(await received(tag)).toHaveLength(1);
	});

	it('events: ["task.failed"] sends nothing when the task succeeds', async () => {
		const user = await newUser();
		const { tag, url } = hook("/ok");
		const task = await createTask(user.token, {
			instruction: "what time is it",
			webhook: { url, events: ["task.failed"] },
		});
		await runTask(task.id, ["succeeded"]);
		expect(await deliveryRows(task.id)).toEqual([]);
		const shown = await view(user.token, task.id);
		expect(shown.webhook).toEqual({ url, events: ["task.failed"] });
		expect(shown.webhook_deliveries).toEqual([]);
		expect(await received(tag)).toEqual([]);
	});

	it("a task without a webhook shows no webhook fields and makes no delivery", async () => {
		const user = await newUser();
		const task = await createTask(user.token, { instruction: "what time is it" });
		await runTask(task.id, ["succeeded"]);
		const shown = await view(user.token, task.id);
		expect(shown).not.toHaveProperty("webhook");
		expect(shown).not.toHaveProperty("webhook_deliveries");
		expect(await deliveryRows(task.id)).toEqual([]);
	});

	it("a receiver answering 500 gets the same delivery again when the sweep runs after next_attempt_at, not before", async () => {
		const user = await newUser();
		const secret = await secretOf(user.token);
		const { tag, url } = hook("/fail/1");
		const task = await createTask(user.token, { instruction: "what time is it", webhook: { url } });
		await runTask(task.id, ["succeeded"]);
		const [first] = await settledDeliveries(task.id, 1);
		expect(first).toMatchObject({ status: "pending", attempts: 1, last_status_code: 500, last_error: "HTTP 500" });
		const firstAt = first?.first_attempt_at as number;
		expect(first?.next_attempt_at).toBe(firstAt + 30_000);
		expect(await received(tag)).toHaveLength(1);

		// Not due yet: the sweep leaves it alone.
		await sweepLeases(depsFor(env), firstAt + 29_000);
		expect(await received(tag)).toHaveLength(1);
		expect((await deliveryRows(task.id))[0]?.attempts).toBe(1);

		// Due: the sweep sends it again, same id and same body, signed anew; the receiver now says 200.
		await sweepLeases(depsFor(env), firstAt + 30_000);
		const got = await received(tag, secret);
		expect(got).toHaveLength(2);
		expect(got.map((r) => r.signature_ok)).toEqual([true, true]);
		expect(got[1]?.headers["sparky-delivery"]).toBe(got[0]?.headers["sparky-delivery"]);
		expect(got[1]?.body).toBe(got[0]?.body);
		expect((await view(user.token, task.id)).webhook_deliveries).toEqual([
			expect.objectContaining({
				status: "delivered",
				attempts: 2,
				last_status_code: 200,
				last_error: null,
				next_attempt_at: null,
				delivered_at: firstAt + 30_000,
			}),
		]);
		// Delivered: later sweeps send nothing more.
		await deliverDueWebhooks(env, firstAt + 10 * 3_600_000);
		expect(await received(tag)).toHaveLength(2);
	});

	it("backs off 30 s, 2 min, 10 min, 30 min, 1 h, then hourly, and fails 24 h after the first attempt", async () => {
		const user = await newUser();
		const { tag, url } = hook("/status/503");
		const row = await taskWithWebhook(user.id, url, { status: "failed", error: "boom" });
		await taskChanged(depsFor(env), [row], 1_000_000);
		let now = 1_000_000;
		const gaps: number[] = [];
		for (let i = 0; i < 40; i++) {
			const [delivery] = await deliveryRows(row.id);
			if (delivery?.status !== "pending") break;
			const due = delivery.next_attempt_at as number;
			if (delivery.attempts > 0) gaps.push(due - now);
			now = due;
			await deliverDueWebhooks(env, now);
		}
		const [done] = await deliveryRows(row.id);
		expect(gaps.slice(0, 7)).toEqual([30_000, 120_000, 600_000, 1_800_000, 3_600_000, 3_600_000, 3_600_000]);
		expect(done).toMatchObject({
			status: "failed",
			last_status_code: 503,
			last_error: "HTTP 503",
			next_attempt_at: null,
		});
		// The last attempt was within the day; the next would have been past it.
		expect(now - 1_000_000).toBeLessThanOrEqual(RETRY_WINDOW_MS);
		expect(now + 3_600_000 - 1_000_000).toBeGreaterThan(RETRY_WINDOW_MS);
		expect(done?.attempts).toBe(gaps.length + 1);
		expect(await received(tag)).toHaveLength(done?.attempts as number);
	});

	it("rotation changes the key: a retry after it, and every delivery after, is signed with the new secret", async () => {
		const user = await newUser();
		const old = await secretOf(user.token);
		const { tag, url } = hook("/fail/1");
		const task = await createTask(user.token, { instruction: "what time is it", webhook: { url } });
		await runTask(task.id, ["succeeded"]);
		const [pending] = await settledDeliveries(task.id, 1);
		expect(pending?.status).toBe("pending");

		const rotated = await api("/api/me/webhook-secret", { ...user, method: "POST" });
		expect(rotated.status).toBe(200);
		const { secret } = await json<{ secret: string }>(rotated);
		expect(secret).not.toBe(old);
		expect(await secretOf(user.token)).toBe(secret);

		await deliverDueWebhooks(env, (pending?.next_attempt_at as number) + 1);
		const withOld = await received(tag, old);
		const withNew = await received(tag, secret);
		expect(withOld.map((r) => r.signature_ok)).toEqual([true, false]);
		expect(withNew.map((r) => r.signature_ok)).toEqual([false, true]);

		const next = hook("/ok");
		const second = await createTask(user.token, { instruction: "what time is it", webhook: { url: next.url } });
		await runTask(second.id, ["succeeded"]);
		const [sent] = await receivedAtLeast(next.tag, 1, secret);
		expect(sent?.signature_ok).toBe(true);
		expect((await received(next.tag, old))[0]?.signature_ok).toBe(false);
	});

	it("two sweeps at once send a due delivery once (the lease); a hang times out and is retried", async () => {
		const user = await newUser();
		const { tag, url } = hook("/ok");
		const row = await taskWithWebhook(user.id, url, { status: "succeeded", result: "done" });
		// No waitUntil: nothing is sent at once; the next sweep sends it.
		const now = Date.now();
		await taskChanged(depsFor(env), [row], now);
		expect((await deliveryRows(row.id))[0]).toMatchObject({ status: "pending", attempts: 0, next_attempt_at: now });
		await Promise.all([deliverDueWebhooks(env, now), deliverDueWebhooks(env, now), deliverDueWebhooks(env, now)]);
		expect(await received(tag)).toHaveLength(1);
		expect((await deliveryRows(row.id))[0]).toMatchObject({ status: "delivered", attempts: 1 });

		const hang = hook("/hang");
		const slow = await taskWithWebhook(user.id, hang.url, { status: "succeeded", result: "done" });
		await taskChanged(depsFor(env), [slow], now);
		await deliverDueWebhooks(env, now, { timeoutMs: 200 });
		expect((await deliveryRows(slow.id))[0]).toMatchObject({
			status: "pending",
			attempts: 1,
			last_status_code: null,
			last_error: "no answer within 0.2 s",
			next_attempt_at: now + 30_000,
		});
		expect(await received(hang.tag)).toHaveLength(1);
		// Not for a later test's sweep to wait on.
		await dropPending();
	});

	it("the URL passes the network guard again when sent: a target no longer allowed fails, unsent", async () => {
		const user = await newUser();
		const { tag, url } = hook("/ok");
		const row = await taskWithWebhook(user.id, url, { status: "failed", error: "x" });
		const now = Date.now();
		await taskChanged(depsFor(env), [row], now);
		// The same database, without the setting that lets 127.0.0.1 through.
		await deliverDueWebhooks({ ...env, SPARKY_WEBHOOK_ALLOW: "" }, now);
		const [delivery] = await deliveryRows(row.id);
		expect(delivery).toMatchObject({ status: "failed", attempts: 1, last_status_code: null, next_attempt_at: null });
		expect(delivery?.last_error).toMatch(/^refused: a webhook URL must be https/);
		expect(await received(tag)).toEqual([]);
	});

	it("a user's pending deliveries are capped: past the cap the oldest are dropped (failed), the newest kept", async () => {
		const user = await newUser();
		const capped = { ...depsFor({ ...env, SPARKY_WEBHOOK_MAX_PENDING: "2" }) };
		const rows: TaskRow[] = [];
		for (let i = 0; i < 4; i++) {
			const row = await taskWithWebhook(user.id, hook("/ok").url, { status: "succeeded", result: `#${i}` });
			rows.push(row);
			await taskChanged(capped, [row], 5_000_000 + i);
		}
		const states = await Promise.all(rows.map(async (r) => (await deliveryRows(r.id))[0]));
		expect(states.map((d) => d?.status)).toEqual(["failed", "failed", "pending", "pending"]);
		expect(states[0]?.last_error).toMatch(/^dropped: more than 2 deliveries of this user were pending/);
		expect(states[0]?.attempts).toBe(0);
		await dropPending();
	});
});
