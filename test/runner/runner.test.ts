import { createExecutionContext, createMessageBatch, createScheduledController, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { agentConfig } from "../../src/config.ts";
import { hubFor } from "../../src/hub/stub.ts";
import worker from "../../src/index.ts";
import type { WireEvent } from "../../src/protocol/index.ts";
import { consumeDeadLetters } from "../../src/runner/consumer.ts";
import { retryDelaySeconds } from "../../src/runner/run-ending.ts";
import { runClaimedTask } from "../../src/runner/run-task.ts";
import { api, newUser } from "../support/api.ts";
import { asResolution, flakyModel, hangingModel, loopingModel, providerError } from "../support/models.ts";
import { claimed, deliver, queuedTask, reload } from "../support/tasks.ts";

const statusesOf = (events: WireEvent[], taskId: string) =>
	events
		.filter((e) => e.task_id === taskId && e.type === "CUSTOM" && e.name === "sparky.task.status")
		.map((e) => (e.value as { status: string }).status);

describe("queue consumer", () => {
	it("acks each message on its own, and acks a malformed one without running anything", async () => {
		const batch = createMessageBatch<unknown>("sparky-tasks", [
			{ id: "bad-1", timestamp: Date.now(), attempts: 1, body: { nope: true } },
			{ id: "bad-2", timestamp: Date.now(), attempts: 1, body: "task_x" },
			{ id: "unknown", timestamp: Date.now(), attempts: 1, body: { task_id: "task_does_not_exist" } },
		]);
		const ctx = createExecutionContext();
		await worker.queue(batch, env, ctx);
		const result = await getQueueResult(batch, ctx);
		expect(result.ackAll).toBe(false);
		expect(result.explicitAcks.sort()).toEqual(["bad-1", "bad-2", "unknown"]);
		expect(result.retryMessages).toEqual([]);
	});

	it("a redelivered message for a finished task does nothing", async () => {
		const user = await newUser();
		const task = await queuedTask(user.id);
		expect((await deliver(task.id)).explicitAcks).toHaveLength(1);
		const done = await reload(task.id);
		expect(done.status).toBe("succeeded");
		const before = (await hubFor(env, user.id).diagnostics()).last_seq;
		const again = await deliver(task.id);
		expect(again.explicitAcks).toHaveLength(1);
		expect(await reload(task.id)).toMatchObject({ status: "succeeded", attempts: 1 });
		expect((await hubFor(env, user.id).diagnostics()).last_seq).toBe(before);
	});

	it("a message for a task held by a live lease does nothing", async () => {
		const user = await newUser();
		const task = await queuedTask(user.id);
		await claimed(task, "run_other");
		expect((await deliver(task.id)).explicitAcks).toHaveLength(1);
		expect(await reload(task.id)).toMatchObject({ status: "running", lease_owner: "run_other", attempts: 1 });
	});

	it("retries a transient failure with backoff, then succeeds", async () => {
		const user = await newUser();
		const task = await queuedTask(user.id, { max_attempts: 3 });
		const model = asResolution(flakyModel(1, () => providerError(503, "Service Unavailable")));
		const first = await deliver(task.id, { model });
		expect(first.retryMessages.map((m) => m.msgId)).toEqual([`msg-${task.id}-1`]);
		expect(await reload(task.id)).toMatchObject({
			status: "queued",
			attempts: 1,
			error: expect.stringContaining("503"),
		});

		const second = await deliver(task.id, { model }, 2);
		expect(second.explicitAcks).toEqual([`msg-${task.id}-2`]);
		expect(await reload(task.id)).toMatchObject({
			status: "succeeded",
			attempts: 2,
			result: "done after retrying",
			error: null,
		});

		// The first attempt repeats the task's `queued` announcement ahead of `running` (here no POST made one).
		const { events } = await hubFor(env, user.id).taskEvents(task.id);
		expect(statusesOf(events, task.id)).toEqual(["queued", "running", "queued", "running", "succeeded"]);
		const runError = events.find((e) => e.type === "RUN_ERROR");
		expect(runError).toMatchObject({ code: "retrying", attempt: 1 });
	});

	it("backs off exponentially between attempts, with jitter, capped at 5 minutes", () => {
		const config = { ...agentConfig(env), retryBaseSeconds: 5 };
		const mid = (attempt: number) => retryDelaySeconds(config, attempt, () => 0.5);
		expect([1, 2, 3, 4, 5, 9].map(mid)).toEqual([5, 10, 20, 40, 80, 300]);
		expect(retryDelaySeconds(config, 1, () => 0)).toBe(4);
		expect(retryDelaySeconds(config, 1, () => 0.999)).toBe(6);
	});

	it("fails with a readable reason once attempts run out", async () => {
		const user = await newUser();
		const task = await queuedTask(user.id, { max_attempts: 2 });
		const model = asResolution(flakyModel(99, () => providerError(429, "Too Many Requests")));
		expect((await deliver(task.id, { model })).retryMessages).toHaveLength(1);
		expect((await deliver(task.id, { model }, 2)).explicitAcks).toHaveLength(1);
		const row = await reload(task.id);
		expect(row).toMatchObject({ status: "failed", attempts: 2 });
		expect(row.error).toMatch(/HTTP 429.*gave up after 2 attempts/);
		expect(row.active_fingerprint).toBeNull();
	});

	it("fails at once on a permanent error", async () => {
		const user = await newUser();
		const task = await queuedTask(user.id, { max_attempts: 3 });
		const model = asResolution(flakyModel(99, () => providerError(401, "invalid x-api-key")));
		expect((await deliver(task.id, { model })).explicitAcks).toHaveLength(1);
		expect(await reload(task.id)).toMatchObject({
			status: "failed",
			attempts: 1,
			error: expect.stringContaining("401"),
		});
	});

	it("a model that isn't configured fails the task and says what to set", async () => {
		const user = await newUser();
		const task = await queuedTask(user.id);
		const { row, owner } = await claimed(task);
		await runClaimedTask(
			{ ...env, SPARKY_MODEL: "anthropic:claude-sonnet-4-5", ANTHROPIC_API_KEY: undefined },
			row,
			owner,
		);
		const done = await reload(task.id);
		expect(done.status).toBe("failed");
		expect(done.error).toContain("ANTHROPIC_API_KEY is not set");
	});

	it("the dead-letter consumer fails the task", async () => {
		const user = await newUser();
		const task = await queuedTask(user.id);
		const batch = createMessageBatch("sparky-tasks-dlq", [
			{ id: "dead-1", timestamp: Date.now(), attempts: 11, body: { task_id: task.id } },
		]);
		await consumeDeadLetters(batch, env);
		const row = await reload(task.id);
		expect(row.status).toBe("failed");
		expect(row.error).toContain("dead-letter");
	});
});

describe("cancellation", () => {
	it("cancels a queued task at once; its message then does nothing", async () => {
		const user = await newUser();
		const task = await queuedTask(user.id);
		const res = await api(`/api/tasks/${task.id}/cancel`, { method: "POST", token: user.token });
		expect(res.status).toBe(200);
		expect(await reload(task.id)).toMatchObject({ status: "cancelled", attempts: 0 });
		await deliver(task.id);
		expect(await reload(task.id)).toMatchObject({ status: "cancelled", attempts: 0 });
		const again = await api(`/api/tasks/${task.id}/cancel`, { method: "POST", token: user.token });
		expect(again.status).toBe(409);
	});

	it("stops a running task at its next check and aborts the model call", async () => {
		const user = await newUser();
		const task = await queuedTask(user.id);
		const { model, state } = hangingModel();
		const running = deliver(task.id, { model: asResolution(model), heartbeat: { checkMs: 50 } });
		while (state.started === 0) await new Promise((r) => setTimeout(r, 10));
		const res = await api(`/api/tasks/${task.id}/cancel`, { method: "POST", token: user.token });
		expect(res.status).toBe(202);
		const result = await running;
		expect(result.explicitAcks).toHaveLength(1);
		expect(state.aborted).toBe(1);
		expect(await reload(task.id)).toMatchObject({ status: "cancelled", error: "cancelled while running" });
		const { events } = await hubFor(env, user.id).taskEvents(task.id);
		const types = events.map((e) => e.type);
		// The half-written message is closed before the run ends.
		expect(types.indexOf("TEXT_MESSAGE_END")).toBeGreaterThan(types.indexOf("TEXT_MESSAGE_CONTENT"));
		expect(events.find((e) => e.type === "RUN_FINISHED")?.outcome).toEqual({ type: "cancelled" });
		expect(statusesOf(events, task.id).at(-1)).toBe("cancelled");
	});
});

describe("limits per run", () => {
	it("stops at the step limit with a clear event", async () => {
		const user = await newUser();
		const task = await queuedTask(user.id);
		const { row, owner } = await claimed(task);
		await runClaimedTask({ ...env, SPARKY_MAX_STEPS: "3" }, row, owner, { model: asResolution(loopingModel()) });
		const done = await reload(task.id);
		expect(done).toMatchObject({ status: "failed", error: "stopped: the run reached its limit of 3 steps" });
		const { events } = await hubFor(env, user.id).taskEvents(task.id);
		expect(events.find((e) => e.type === "RUN_ERROR")).toMatchObject({ code: "limit_steps" });
		expect(events.filter((e) => e.type === "TOOL_CALL_RESULT")).toHaveLength(3);
	});

	it("stops at the wall-time limit instead of hanging", async () => {
		const user = await newUser();
		const task = await queuedTask(user.id);
		const { row, owner } = await claimed(task);
		const { model, state } = hangingModel();
		await runClaimedTask({ ...env, SPARKY_MAX_RUN_SECONDS: "1" }, row, owner, { model: asResolution(model) });
		expect(state.aborted).toBe(1);
		expect(await reload(task.id)).toMatchObject({ status: "failed", error: "stopped: the run took longer than 1 s" });
	});

	it("stops when the run's output tokens are spent", async () => {
		const user = await newUser();
		const task = await queuedTask(user.id);
		const { row, owner } = await claimed(task);
		await runClaimedTask({ ...env, SPARKY_MAX_OUTPUT_TOKENS: "12" }, row, owner, {
			model: asResolution(loopingModel()),
		});
		const done = await reload(task.id);
		expect(done.status).toBe("failed");
		expect(done.error).toBe("stopped: the run used its 12 output tokens");
		expect(done.output_tokens).toBeGreaterThanOrEqual(12);
	});
});

describe("lease expiry (the runner died)", () => {
	it("the tick requeues a task whose lease expired, and it then runs to the end", async () => {
		const user = await newUser();
		const task = await queuedTask(user.id, { max_attempts: 3 });
		await claimed(task, "run_dead");
		await env.DB.prepare("UPDATE tasks SET lease_expires_at = ? WHERE id = ?")
			.bind(Date.now() - 1, task.id)
			.run();
		await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "* * * * *" }), env);
		const requeued = await reload(task.id);
		expect(requeued).toMatchObject({ status: "queued", attempts: 1, lease_owner: null });
		expect(requeued.error).toContain("lease expired");
		// The tick sent a fresh message; the real consumer picks it up.
		for (let i = 0; i < 100 && (await reload(task.id)).status !== "succeeded"; i++)
			await new Promise((r) => setTimeout(r, 100));
		expect(await reload(task.id)).toMatchObject({ status: "succeeded", attempts: 2 });
	});

	it("fails it instead when it has no attempts left", async () => {
		const user = await newUser();
		const task = await queuedTask(user.id, { max_attempts: 1 });
		await claimed(task, "run_dead");
		await env.DB.prepare("UPDATE tasks SET lease_expires_at = 1 WHERE id = ?").bind(task.id).run();
		await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "* * * * *" }), env);
		const row = await reload(task.id);
		expect(row.status).toBe("failed");
		expect(row.error).toMatch(/lease expired.*no attempts left/);
	});

	it("a run that lost its lease records nothing", async () => {
		const user = await newUser();
		const task = await queuedTask(user.id);
		const { row } = await claimed(task, "run_new_owner");
		await runClaimedTask(env, row, "run_stale_owner");
		expect(await reload(task.id)).toMatchObject({ status: "running", lease_owner: "run_new_owner" });
	});
});
