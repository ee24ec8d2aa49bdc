// What runs cost (issue #26): the real runner with the real OpenAI-compatible adapter against
// the fake LLM server, which reports known usage per call (tokens, cached, reasoning).
import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { resolveModel } from "../../src/agent/models.ts";
import { depsFor } from "../../src/deps.ts";
import { SparkyError } from "../../src/errors.ts";
import type {
	Approval,
	BudgetStatus,
	ModelCallUsage,
	PublishEvent,
	Task,
	UsageReport,
} from "../../src/protocol/index.ts";
import { runClaimedTask } from "../../src/runner/run-task.ts";
import { taskApprovals } from "../../src/storage/approvals.ts";
import { recordModelCall } from "../../src/storage/usage.ts";
import { decideApproval } from "../../src/tasks/approvals.ts";
import { createTask } from "../../src/tasks/service.ts";
import { adminToken, api, json, newUser } from "../support/api.ts";
import { FAKE_USAGE } from "../support/fake-llm-server.ts";
import { claimed, queuedTask, reload } from "../support/tasks.ts";

const fakeUrl = inject("fakeLlmUrl");
const LABEL = "openai-compatible:tool-then-answer";
/** Dollars per million tokens: round figures so the expected cost is easy to check by hand. */
const PRICE = { input: 2, output: 8, cached_input: 0.5 };

function priced(prices: Record<string, unknown> = { [LABEL]: PRICE }): Env {
	return {
		...env,
		SPARKY_OPENAI_COMPAT_BASE_URL: `${fakeUrl}/openai/v1`,
		SPARKY_OPENAI_COMPAT_API_KEY: "test-key-usage",
		SPARKY_MODEL_PRICES: JSON.stringify(prices),
	};
}

/** Deps whose queue sends are kept (the test runs each attempt itself). */
function recordingDeps(runEnv: Env) {
	const sent: unknown[] = [];
	return {
		deps: depsFor({ ...runEnv, TASK_QUEUE: { send: async (b: unknown) => void sent.push(b) } } as unknown as Env),
		sent,
	};
}

/** One attempt of a queued task, with the fake model; the creator's events kept. */
async function runOnce(runEnv: Env, taskId: string, userId: string, published: PublishEvent[] = []) {
	const model = resolveModel(runEnv, LABEL);
	const held = await claimed(await reload(taskId));
	const deps = {
		model,
		publish: async (to: string, events: PublishEvent[]) => {
			if (to === userId) published.push(...events);
		},
	};
	return runClaimedTask(runEnv, held.row, held.owner, deps);
}

const usageEvents = (events: PublishEvent[]) =>
	events.filter((e) => e.type === "CUSTOM" && e.name === "sparky.usage").map((e) => e.value as ModelCallUsage);

/** The fake's two calls at PRICE: the tool step (64 of 120 input tokens cached) and the answer. */
const toolStepUsd =
	((FAKE_USAGE.toolStep.input - FAKE_USAGE.toolStep.cached) * PRICE.input +
		FAKE_USAGE.toolStep.cached * PRICE.cached_input +
		FAKE_USAGE.toolStep.output * PRICE.output) /
	1e6;
const answerStepUsd = (FAKE_USAGE.answerStep.input * PRICE.input + FAKE_USAGE.answerStep.output * PRICE.output) / 1e6;

describe("usage per model call, rolled up", () => {
	it("a task's cost is its calls' tokens times the price, on its events, its row, the API and every rollup", async () => {
		const user = await newUser();
		const runEnv = priced();
		const task = await queuedTask(user.id, { instruction: "What is in my workspace?" });
		const published: PublishEvent[] = [];
		expect(await runOnce(runEnv, task.id, user.id, published)).toEqual({ kind: "done", status: "succeeded" });

		const calls = usageEvents(published);
		expect(calls).toEqual([
			expect.objectContaining({
				step: 1,
				model: LABEL,
				input_tokens: 120,
				output_tokens: 30,
				cached_input_tokens: 64,
				reasoning_tokens: 18,
			}),
			expect.objectContaining({ step: 2, input_tokens: 200, output_tokens: 25, cached_input_tokens: 0 }),
		]);
		expect(calls[0]?.cost_usd).toBeCloseTo(toolStepUsd, 10);
		expect(calls[1]?.cost_usd).toBeCloseTo(answerStepUsd, 10);
		expect(calls[1]?.task_cost_usd).toBeCloseTo(toolStepUsd + answerStepUsd, 10);

		const res = await api(`/api/tasks/${task.id}`, { token: user.token });
		const { task: shown } = await json<{ task: Task }>(res);
		expect(shown.usage).toMatchObject({
			input_tokens: 320,
			output_tokens: 55,
			cached_input_tokens: 64,
			reasoning_tokens: 18,
		});
		// To the cent, and closer: 0.000584 + 0.0006 dollars.
		expect(shown.usage.cost_usd).toBeCloseTo(toolStepUsd + answerStepUsd, 8);
		expect(Math.round((shown.usage.cost_usd ?? 0) * 100)).toBe(Math.round((toolStepUsd + answerStepUsd) * 100));

		// Rollups: by model, day and task each sum to the same two calls.
		for (const by of ["model", "day", "task"] as const) {
			const report = await json<UsageReport>(await api(`/api/usage?by=${by}`, { token: user.token }));
			expect(report.rows).toHaveLength(1);
			expect(report.rows[0]).toMatchObject({
				runs: 1,
				calls: 2,
				input_tokens: 320,
				output_tokens: 55,
				unpriced_calls: 0,
			});
			expect(report.rows[0]?.cost_usd).toBeCloseTo(toolStepUsd + answerStepUsd, 8);
			expect(report.total).toMatchObject({ calls: 2, input_tokens: 320, output_tokens: 55 });
		}
		const byTask = await json<UsageReport>(await api("/api/usage?by=task", { token: user.token }));
		expect(byTask.rows[0]).toMatchObject({ key: task.id, label: "What is in my workspace?" });
		// The day rollup the budgets read agrees with the ledger.
		const daily = await env.DB.prepare("SELECT calls, runs, input_tokens, cost_usd FROM usage_daily WHERE user_id = ?")
			.bind(user.id)
			.first<{ calls: number; runs: number; input_tokens: number; cost_usd: number }>();
		expect(daily).toMatchObject({ calls: 2, runs: 1, input_tokens: 320 });
		expect(daily?.cost_usd).toBeCloseTo(toolStepUsd + answerStepUsd, 10);
	});

	it("by task, a chat turn's words label its row for the chat's owner only: an admin sees the figures, not the message", async () => {
		const user = await newUser();
		const turn = await queuedTask(user.id, { kind: "chat", instruction: "my private question" });
		const now = Date.now();
		await recordModelCall(env.DB, {
			user_id: user.id,
			task_id: turn.id,
			attempt: 1,
			step: 1,
			chat_id: null,
			model: LABEL,
			input_tokens: 10,
			output_tokens: 5,
			cached_input_tokens: 0,
			reasoning_tokens: 0,
			cost_usd: 0.001,
			ms: 5,
			day: new Date(now).toISOString().slice(0, 10),
			created_at: now,
			first_of_run: true,
		});
		const own = await json<UsageReport>(await api("/api/usage?by=task", { token: user.token }));
		expect(own.rows.find((r) => r.key === turn.id)?.label).toBe("my private question");
		const byAdmin = await json<UsageReport>(await api(`/api/usage?by=task&user=${user.id}`, { token: adminToken() }));
		const row = byAdmin.rows.find((r) => r.key === turn.id);
		expect(row).toMatchObject({ calls: 1, input_tokens: 10 });
		expect(row?.label).toBeUndefined();
		expect(JSON.stringify(byAdmin)).not.toContain("my private question");
	});

	it("a model without a price shows tokens and never a dollar figure", async () => {
		const user = await newUser();
		const runEnv = priced({});
		const task = await queuedTask(user.id, { instruction: "What is in my workspace?" });
		const published: PublishEvent[] = [];
		await runOnce(runEnv, task.id, user.id, published);
		for (const call of usageEvents(published)) {
			expect(call.cost_usd).toBeNull();
			expect(call.task_cost_usd).toBeNull();
		}
		const { task: shown } = await json<{ task: Task }>(await api(`/api/tasks/${task.id}`, { token: user.token }));
		expect(shown.usage).toMatchObject({ input_tokens: 320, output_tokens: 55, cost_usd: null });
		const report = await json<UsageReport>(await api("/api/usage?by=model", { token: user.token }));
		expect(report.rows[0]).toMatchObject({ key: LABEL, calls: 2, cost_usd: null, unpriced_calls: 2 });
		expect(report.total.cost_usd).toBeNull();
	});

	it("a user sees only their own usage; an admin everyone's", async () => {
		const [a, b] = [await newUser(), await newUser()];
		for (const u of [a, b]) await runOnce(priced(), (await queuedTask(u.id)).id, u.id);
		const mine = await json<UsageReport>(await api("/api/usage?by=user", { token: a.token }));
		expect(mine.rows.map((r) => r.key)).toEqual([a.id]);
		expect((await api(`/api/usage?user=${b.id}`, { token: a.token })).status).toBe(404);
		const all = await json<UsageReport>(await api("/api/usage?by=user&limit=1000", { token: env.SPARKY_ADMIN_TOKEN }));
		expect(all.rows.map((r) => r.key)).toEqual(expect.arrayContaining([a.id, b.id]));
		const one = await json<UsageReport>(
			await api(`/api/usage?by=user&user=${b.id}`, { token: env.SPARKY_ADMIN_TOKEN }),
		);
		expect(one.rows.map((r) => r.key)).toEqual([b.id]);
		expect((await api("/api/usage?since=tomorrow", { token: a.token })).status).toBe(400);
	});
});

/** Output is what costs here: $1,000 per million output tokens ($0.001 a token), input free. */
const OUTPUT_ONLY = { [LABEL]: { input: 0, output: 1000 } };

describe("a task's budget, with a person in the loop", () => {
	it("past its budget the run pauses on a budget approval, and goes on when more is allowed", async () => {
		const user = await newUser();
		const runEnv = priced(OUTPUT_ONLY);
		// The first call's estimate is 500 output tokens ($0.50): over $0.30, so it asks first.
		const task = await queuedTask(user.id, { instruction: "What is in my workspace?", max_cost_usd: 0.3 });
		const published: PublishEvent[] = [];
		expect(await runOnce(runEnv, task.id, user.id, published)).toEqual({ kind: "done", status: "awaiting_approval" });
		expect(usageEvents(published)).toEqual([]); // no model call was made
		const [approval] = await taskApprovals(env.DB, task.id);
		expect(approval).toMatchObject({ kind: "budget", tool: "budget", status: "pending" });
		expect(approval?.input).toEqual({ spent_usd: 0, budget_usd: 0.3, more_usd: 0.3, estimate_usd: 0.5 });
		const interrupt = published.find((e) => e.type === "RUN_FINISHED") as { outcome?: { interrupts?: unknown[] } };
		expect(interrupt.outcome?.interrupts).toEqual([
			expect.objectContaining({ reason: "budget", message: "spent $0.00 of $0.30: allow $0.30 more?" }),
		]);
		// Listed like any approval, with its kind.
		const listed = await json<{ approvals: Approval[] }>(await api("/api/approvals", { token: user.token }));
		expect(listed.approvals.find((a) => a.id === approval?.id)?.kind).toBe("budget");

		const { deps, sent } = recordingDeps(runEnv);
		await decideApproval(
			deps,
			await reload(task.id),
			approval?.id ?? "",
			{ approved: true },
			{ userId: user.id, role: "user" },
		);
		expect(sent).toEqual([{ task_id: task.id }]);
		// $0.60 now: both calls fit ($0.03 and $0.025 spent).
		const after: PublishEvent[] = [];
		expect(await runOnce(runEnv, task.id, user.id, after)).toEqual({ kind: "done", status: "succeeded" });
		expect(usageEvents(after).map((c) => c.step)).toEqual([1, 2]);
		const done = await reload(task.id);
		expect(done.cost_usd).toBeCloseTo(0.055, 10);
	});

	it("denied, the run ends saying why, and spends nothing more", async () => {
		const user = await newUser();
		const runEnv = priced(OUTPUT_ONLY);
		const task = await queuedTask(user.id, { instruction: "What is in my workspace?", max_cost_usd: 0.3 });
		await runOnce(runEnv, task.id, user.id);
		const [approval] = await taskApprovals(env.DB, task.id);
		const { deps } = recordingDeps(runEnv);
		await decideApproval(
			deps,
			await reload(task.id),
			approval?.id ?? "",
			{ approved: false },
			{ userId: user.id, role: "user" },
		);
		const published: PublishEvent[] = [];
		expect(await runOnce(runEnv, task.id, user.id, published)).toEqual({ kind: "done", status: "failed" });
		const failed = await reload(task.id);
		expect(failed.error).toBe("stopped: the task spent $0.00 of its budget of $0.30 (more was not allowed)");
		expect(usageEvents(published)).toEqual([]);
		expect(failed.cost_usd).toBe(0);
	});

	it("without a price a budget can't be counted: the run is not held", async () => {
		const user = await newUser();
		const task = await queuedTask(user.id, { max_cost_usd: 0.000001 });
		expect(await runOnce(priced({}), task.id, user.id)).toEqual({ kind: "done", status: "succeeded" });
	});
});

describe("a user's day and month budgets", () => {
	it("refuses new work past the day cap, naming it and when it resets; an admin's override decides", async () => {
		const user = await newUser();
		await runOnce(priced(OUTPUT_ONLY), (await queuedTask(user.id)).id, user.id); // spends $0.055
		const admin = env.SPARKY_ADMIN_TOKEN;
		const set = await api(`/api/users/${user.id}/budget`, { token: admin, method: "PUT", body: { day_usd: 0.05 } });
		expect(set.status).toBe(200);
		const status = await json<BudgetStatus>(set);
		expect(status.day).toMatchObject({ cap_usd: 0.05, source: "user" });
		expect(status.day.spent_usd).toBeCloseTo(0.055, 10);

		const refused = await api("/api/tasks", { token: user.token, body: { instruction: "one more thing" } });
		expect(refused.status).toBe(402);
		const body = await json<{ error: { code: string; message: string; details: Record<string, unknown> } }>(refused);
		const midnight = new Date();
		midnight.setUTCHours(24, 0, 0, 0);
		expect(body.error).toMatchObject({
			code: "budget_exceeded",
			details: { period: "day", cap_usd: 0.05, resets_at: midnight.getTime() },
		});
		expect(body.error.message).toBe(
			`you have spent $0.06 of your daily budget of $0.05; it resets at ${midnight.toISOString().replace(".000Z", "Z")}`,
		);
		// Their own standing, and a user can't set their own cap.
		const mine = await json<BudgetStatus>(await api("/api/me/budget", { token: user.token }));
		expect(mine.day.cap_usd).toBe(0.05);
		const self = await api(`/api/users/${user.id}/budget`, {
			token: user.token,
			method: "PUT",
			body: { day_usd: 100 },
		});
		expect(self.status).toBe(403);

		// Raised: work is accepted again.
		await api(`/api/users/${user.id}/budget`, { token: admin, method: "PUT", body: { day_usd: 1 } });
		expect((await api("/api/tasks", { token: user.token, body: { instruction: "one more thing" } })).status).toBe(201);
	});

	it("the cap is the insert's own condition: at the cap exactly it refuses and writes nothing; a retry still replays", async () => {
		const user = await newUser();
		const admin = env.SPARKY_ADMIN_TOKEN;
		const before = await api("/api/tasks", {
			token: user.token,
			body: { instruction: "made before the cap" },
			headers: { "Idempotency-Key": "before-cap" },
		});
		expect(before.status).toBe(201);
		const made = (await json<{ task: Task }>(before)).task;
		await runOnce(priced(OUTPUT_ONLY), (await queuedTask(user.id)).id, user.id); // spends $0.055
		const count = async () =>
			(await env.DB.prepare("SELECT count(*) AS n FROM tasks WHERE user_id = ?").bind(user.id).first<{ n: number }>())
				?.n;
		const tasks = await count();

		// Spent equals the cap: refused (spent ≥ cap), as /api/me/budget says, and nothing is written.
		await api(`/api/users/${user.id}/budget`, { token: admin, method: "PUT", body: { day_usd: 0.055 } });
		const atCap = await api("/api/tasks", { token: user.token, body: { instruction: "at the cap" } });
		expect(atCap.status).toBe(402);
		expect((await json<{ error: { details: { period: string } } }>(atCap)).error.details.period).toBe("day");
		expect(await count()).toBe(tasks);
		// The task made before the cap is that task again (it starts nothing new).
		const retried = await api("/api/tasks", {
			token: user.token,
			body: { instruction: "made before the cap" },
			headers: { "Idempotency-Key": "before-cap" },
		});
		expect(retried.status).toBe(200);
		expect((await json<{ task: Task }>(retried)).task.id).toBe(made.id);

		// A hundred-millionth of a dollar above what was spent: accepted.
		await api(`/api/users/${user.id}/budget`, { token: admin, method: "PUT", body: { day_usd: 0.05500001 } });
		expect((await api("/api/tasks", { token: user.token, body: { instruction: "under the cap" } })).status).toBe(201);
	});

	it("the server's default month cap refuses through the same condition, naming the month", async () => {
		const user = await newUser();
		await runOnce(priced(OUTPUT_ONLY), (await queuedTask(user.id)).id, user.id); // spends $0.055
		const capped = depsFor({ ...env, SPARKY_USER_BUDGET_USD_MONTH: "0.05" } as Env);
		const refusal = await createTask(capped, { userId: user.id, instruction: "past the month" }).catch((e) => e);
		expect(refusal).toBeInstanceOf(SparkyError);
		expect(refusal).toMatchObject({ code: "budget_exceeded", details: { period: "month", cap_usd: 0.05 } });
		const open = depsFor({ ...env, SPARKY_USER_BUDGET_USD_MONTH: "0.06" } as Env);
		expect((await createTask(open, { userId: user.id, instruction: "under the month" })).kind).toBe("created");
	});

	it("a task queued before the user reached the cap stops before its first call", async () => {
		const user = await newUser();
		const waiting = await queuedTask(user.id);
		await runOnce(priced(OUTPUT_ONLY), (await queuedTask(user.id)).id, user.id); // spends $0.055
		await env.DB.prepare("UPDATE users SET budget_day_usd = 0.05 WHERE id = ?").bind(user.id).run();
		const published: PublishEvent[] = [];
		expect(await runOnce(priced(OUTPUT_ONLY), waiting.id, user.id, published)).toEqual({
			kind: "done",
			status: "failed",
		});
		expect((await reload(waiting.id)).error).toMatch(
			/^stopped: you have spent \$0\.06 of your daily budget of \$0\.05; it resets at /,
		);
		expect(usageEvents(published)).toEqual([]);
	});
});
