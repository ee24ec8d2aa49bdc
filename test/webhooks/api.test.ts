// Completion webhooks (issue #29, docs/webhooks.md): where a webhook may point, who sees its
// deliveries, approvals, cancellation and schedules.
import { env } from "cloudflare:workers";
import { afterAll, describe, expect, it } from "vitest";
import { depsFor } from "../../src/deps.ts";
import type { Approval, Schedule, Task } from "../../src/protocol/index.ts";
import { ensureWorkspace } from "../../src/storage/workspace.ts";
import { webhookSecret } from "../../src/webhooks/secret.ts";
import { checkedWebhook, taskChanged } from "../../src/webhooks/service.ts";
import { adminToken, api, json, newUser } from "../support/api.ts";
import { reload } from "../support/tasks.ts";
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

type ErrorBody = { error: { code: string; message: string; details?: unknown } };

describe("where a webhook may point", () => {
	it("refuses a private, loopback, link-local or metadata target, plain http and credentials with a 400, and makes no task", async () => {
		const user = await newUser();
		const refused: [string, RegExp][] = [
			["http://169.254.169.254/latest/meta-data/", /must be https/],
			["https://169.254.169.254/latest/meta-data/", /link-local/],
			["https://10.0.0.1/hook", /private/],
			["https://192.168.1.10/hook", /private/],
			["https://[::1]/hook", /loopback/],
			["https://[::ffff:10.0.0.1]/hook", /embeds 10\.0\.0\.1/],
			["https://localhost/hook", /localhost/],
			["https://metadata.google.internal/computeMetadata/v1/", /\.internal/],
			["https://127.0.0.1.nip.io/hook", /wildcard-DNS/],
			["https://example.com:9000/hook", /port 9000/],
			["http://example.com/hook", /must be https/],
		];
		for (const [url, why] of refused) {
			const res = await api("/api/tasks", { token: user.token, body: { instruction: "x", webhook: { url } } });
			expect(res.status, url).toBe(400);
			const body = await json<ErrorBody>(res);
			expect(body.error.message, url).toMatch(/^webhook URL refused: /);
			expect(body.error.message, url).toMatch(why);
		}
		// The shape is zod's to refuse.
		for (const webhook of [
			{ url: "https://user:pw@example.com/hook" },
			{ url: "ftp://example.com/hook" },
			{ url: "not a url" },
			{ url: "https://example.com/hook", events: ["task.started"] },
			{ url: "https://example.com/hook", events: [] },
			{ url: "https://example.com/hook", secret: "x" },
		]) {
			const res = await api("/api/tasks", { token: user.token, body: { instruction: "x", webhook } });
			expect(res.status, JSON.stringify(webhook)).toBe(400);
		}
		const listed = await json<{ tasks: Task[] }>(api("/api/tasks", { token: user.token }));
		expect(listed.tasks).toEqual([]);
		// A public https URL is fine (nothing is sent until the task changes).
		const ok = await api("/api/tasks", {
			token: user.token,
			body: { instruction: "x", webhook: { url: "https://hooks.example.com/sparky", events: ["task.failed"] } },
		});
		expect(ok.status).toBe(201);
	});

	it("a local receiver needs SPARKY_WEBHOOK_ALLOW (loopback hosts only); without it, 127.0.0.1 is refused", () => {
		const spec = { url: "http://127.0.0.1:8789/hook" };
		expect(() => checkedWebhook({ ...env, SPARKY_WEBHOOK_ALLOW: "" }, spec)).toThrow(/must be https/);
		expect(() => checkedWebhook({ ...env, SPARKY_WEBHOOK_ALLOW: "" }, { url: "https://127.0.0.1:8443/hook" })).toThrow(
			/loopback.*SPARKY_WEBHOOK_ALLOW=127\.0\.0\.1:8443/,
		);
		expect(JSON.parse(checkedWebhook({ ...env, SPARKY_WEBHOOK_ALLOW: "127.0.0.1:8789" }, spec)).url).toBe(
			"http://127.0.0.1:8789/hook",
		);
		expect(() => checkedWebhook({ ...env, SPARKY_WEBHOOK_ALLOW: "127.0.0.1:8790" }, spec)).toThrow();
		// Only loopback entries count: an allow entry for a private host is ignored.
		expect(() =>
			checkedWebhook({ ...env, SPARKY_WEBHOOK_ALLOW: "10.0.0.1:*" }, { url: "http://10.0.0.1/hook" }),
		).toThrow();
	});

	it("needs SPARKY_SECRETS_KEY: without it a webhook is refused (503) and the secret can't be read", async () => {
		const noKey = { ...env, SPARKY_SECRETS_KEY: "" };
		let thrown: unknown;
		try {
			checkedWebhook(noKey, { url: "https://hooks.example.com/x" });
		} catch (error) {
			thrown = error;
		}
		expect(thrown).toMatchObject({ kind: "unavailable", message: expect.stringMatching(/SPARKY_SECRETS_KEY/) });
		const user = await newUser();
		await expect(webhookSecret(noKey, user.id)).rejects.toMatchObject({ kind: "unavailable" });
		// The secret is stored sealed: its row never holds it in the clear.
		const secret = await secretOf(user.token);
		const row = await env.DB.prepare("SELECT secret FROM webhook_secrets WHERE user_id = ?")
			.bind(user.id)
			.first<{ secret: string }>();
		expect(row?.secret).toMatch(/^v1\./);
		expect(row?.secret).not.toContain(secret.slice(6));
		// Another user has another secret.
		expect(await secretOf((await newUser()).token)).not.toBe(secret);
	});
});

describe("deliveries on the task", () => {
	it("show on GET /api/tasks/:id and /webhook-deliveries to those who may see the task; another user gets 404", async () => {
		const [user, stranger] = await Promise.all([newUser(), newUser()]);
		const { tag, url } = hook("/ok");
		const task = await createTask(user.token, { instruction: "what time is it", webhook: { url } });
		await runTask(task.id, ["succeeded"]);
		await receivedAtLeast(tag, 1);
		const mine = await api(`/api/tasks/${task.id}/webhook-deliveries`, { token: user.token });
		expect(mine.status).toBe(200);
		expect((await json<{ deliveries: unknown[] }>(mine)).deliveries).toHaveLength(1);
		expect((await api(`/api/tasks/${task.id}/webhook-deliveries`, { token: stranger.token })).status).toBe(404);
		expect((await api(`/api/tasks/${task.id}`, { token: stranger.token })).status).toBe(404);
		// An admin may see every task, and so its deliveries.
		const admin = await api(`/api/tasks/${task.id}`, { token: adminToken() });
		expect((await json<{ task: { webhook_deliveries: unknown[] } }>(admin)).task.webhook_deliveries).toHaveLength(1);
		expect((await api(`/api/tasks/${task.id}/webhook-deliveries?limit=0`, { token: user.token })).status).toBe(400);
	});

	it("a task that waits for approval twice sends two awaiting_approval deliveries, then one succeeded", async () => {
		const user = await newUser();
		const secret = await secretOf(user.token);
		await ensureWorkspace(env, user.id, Date.now());
		const { tag, url } = hook("/ok");
		// list_files asks first (the task's own list), delete_file next (the server's).
		const task = await createTask(user.token, {
			instruction: "List the files, then delete README.md",
			approve: ["list_files"],
			webhook: { url },
		});
		const approveLatest = async () => {
			const paused = await view(user.token, task.id);
			const approval = paused.approvals.at(-1) as Approval;
			const res = await api(`/api/tasks/${task.id}/approvals/${approval.id}`, {
				token: user.token,
				body: { approved: true },
			});
			expect(res.status).toBe(200);
			return approval;
		};
		await runTask(task.id, ["awaiting_approval"]);
		const first = await approveLatest();
		expect(first.tool).toBe("list_files");
		await runTask(task.id, ["awaiting_approval"], 2);
		const second = await approveLatest();
		expect(second.tool).toBe("delete_file");
		await runTask(task.id, ["succeeded"], 3);

		const got = await receivedAtLeast(tag, 3, secret);
		expect(got.map((r) => r.headers["sparky-event"])).toEqual([
			"task.awaiting_approval",
			"task.awaiting_approval",
			"task.succeeded",
		]);
		expect(got.every((r) => r.signature_ok)).toBe(true);
		const bodies = got.map((r) => JSON.parse(r.body));
		expect(new Set(bodies.map((b) => b.id)).size).toBe(3);
		expect(bodies[0].task).toMatchObject({ status: "awaiting_approval", attempts: 1 });
		expect(bodies[0].task.approvals).toEqual([expect.objectContaining({ id: first.id, status: "pending" })]);
		expect(bodies[1].task).toMatchObject({ status: "awaiting_approval", attempts: 2 });
		expect(bodies[1].task.approvals.at(-1)).toMatchObject({ id: second.id, tool: "delete_file", status: "pending" });
		expect(bodies[2].task).toMatchObject({ status: "succeeded", attempts: 3 });
		const rows = await deliveryRows(task.id);
		expect(rows.map((r) => [r.type, r.attempt, r.status])).toEqual([
			["task.awaiting_approval", 1, "delivered"],
			["task.awaiting_approval", 2, "delivered"],
			["task.succeeded", 3, "delivered"],
		]);
		expect((await view(user.token, task.id)).webhook_deliveries?.map((d) => d.type)).toEqual([
			"task.succeeded",
			"task.awaiting_approval",
			"task.awaiting_approval",
		]);
	});

	it("a cancelled task sends task.cancelled; a failed one task.failed", async () => {
		const user = await newUser();
		const { tag, url } = hook("/ok");
		const task = await createTask(user.token, {
			instruction: "what time is it",
			depends_on: [(await createTask(user.token, { instruction: "wait for me" })).id],
			webhook: { url },
		});
		expect(task.status).toBe("waiting");
		const cancelled = await api(`/api/tasks/${task.id}/cancel`, { token: user.token, method: "POST" });
		expect(cancelled.status).toBe(200);
		const [request] = await receivedAtLeast(tag, 1);
		expect(request?.headers["sparky-event"]).toBe("task.cancelled");
		expect(JSON.parse(request?.body ?? "{}").task).toMatchObject({ id: task.id, status: "cancelled" });

		const failing = hook("/ok");
		const row = await reload(
			(await createTask(user.token, { instruction: "what time is it", webhook: { url: failing.url } })).id,
		);
		await taskChanged(depsFor(env), [{ ...row, status: "failed", error: "it broke" }]);
		const [recorded] = await deliveryRows(row.id);
		expect(recorded).toMatchObject({ type: "task.failed", attempt: row.attempts });
		expect(JSON.parse(recorded?.body ?? "{}").task).toMatchObject({ status: "failed", error: "it broke" });
		await dropPending();
	});
});

describe("a schedule's webhook", () => {
	it("is checked, shown without its query, and given to every task the schedule creates; null removes it", async () => {
		const user = await newUser();
		const bad = await api("/api/schedules", {
			token: user.token,
			body: { name: "leaky", instruction: "x", every: "1h", webhook: { url: "https://10.1.2.3/hook" } },
		});
		expect(bad.status).toBe(400);
		expect((await json<ErrorBody>(bad)).error.message).toMatch(/^webhook URL refused: .*private/);

		const { tag, url } = hook("/ok");
		const made = await api("/api/schedules", {
			token: user.token,
			body: {
				name: "nightly",
				instruction: "what time is it",
				every: "1d",
				webhook: { url: `${url}?k=secret`, events: ["task.succeeded"] },
			},
		});
		expect(made.status).toBe(201);
		const { schedule } = await json<{ schedule: Schedule }>(made);
		expect(schedule.webhook).toEqual({ url, events: ["task.succeeded"] });

		const ran = await api("/api/schedules/nightly/run", { token: user.token, method: "POST" });
		expect(ran.status).toBe(201);
		const { task } = await json<{ task: Task }>(ran);
		expect((await view(user.token, task.id)).webhook).toEqual({ url, events: ["task.succeeded"] });
		await runTask(task.id, ["succeeded"]);
		const [request] = await receivedAtLeast(tag, 1);
		expect(request?.headers["sparky-event"]).toBe("task.succeeded");
		expect(JSON.parse(request?.body ?? "{}").task).toMatchObject({ id: task.id, schedule_name: "nightly" });
		await settledDeliveries(task.id, 1);

		const cleared = await api("/api/schedules/nightly", {
			token: user.token,
			method: "PATCH",
			body: { webhook: null },
		});
		expect((await json<{ schedule: Schedule }>(cleared)).schedule.webhook).toBeNull();
		const again = await json<{ task: Task }>(api("/api/schedules/nightly/run", { token: user.token, method: "POST" }));
		expect((await view(user.token, again.task.id)).webhook).toBeUndefined();
		expect(await received(tag)).toHaveLength(1);
	});
});
