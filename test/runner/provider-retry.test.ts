// The real runner with a real provider adapter that keeps answering HTTP 429 (the fake LLM
// server's `rate-limited` script): the task goes back to the queue while attempts remain,
// then fails with a reason people can read.
import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { resolveModel } from "../../src/agent/models.ts";
import type { PublishEvent } from "../../src/protocol/index.ts";
import { newId } from "../../src/protocol/index.ts";
import { runClaimedTask } from "../../src/runner/run-task.ts";
import { newUser } from "../support/api.ts";
import { claimed, queuedTask, reload } from "../support/tasks.ts";

const API_KEY = "test-key-77d1b0c4aa";
const fakeUrl = inject("fakeLlmUrl");

const PROVIDERS = [
	{
		provider: "openai-compatible",
		env: (): Env => ({
			...env,
			SPARKY_OPENAI_COMPAT_BASE_URL: `${fakeUrl}/openai/v1`,
			SPARKY_OPENAI_COMPAT_API_KEY: API_KEY,
		}),
	},
	{
		provider: "anthropic",
		env: (): Env => ({ ...env, ANTHROPIC_API_KEY: API_KEY, ANTHROPIC_BASE_URL: `${fakeUrl}/anthropic/v1` }),
	},
] as const;

describe.each(PROVIDERS)("runner with the $provider adapter rate-limited (HTTP 429)", ({ provider, env: runEnv }) => {
	it("requeues the task while attempts remain, then fails it saying it gave up", async () => {
		const user = await newUser();
		const taskEnv = runEnv();
		const model = resolveModel(taskEnv, `${provider}:rate-limited`);
		expect(model.ok).toBe(true);
		const published: PublishEvent[] = [];
		const deps = {
			model,
			// The audience is the agent user and the task's creator: keep the creator's copy.
			publish: async (userId: string, events: PublishEvent[]) => {
				if (userId === user.id) published.push(...events);
			},
		};
		// Active fingerprint set, as `createTask` does: a finished run must clear it.
		const fingerprint = newId("fp", 12);
		const task = await queuedTask(user.id, {
			instruction: "What is in my workspace?",
			max_attempts: 2,
			fingerprint,
			active_fingerprint: fingerprint,
		});

		// Attempt 1 of 2: transient, so back to the queue.
		const first = await claimed(task);
		expect(first.row.attempts).toBe(1);
		const result1 = await runClaimedTask(taskEnv, first.row, first.owner, deps);
		expect(result1).toEqual({ kind: "retry", delaySeconds: 0 });
		const requeued = await reload(task.id);
		expect(requeued).toMatchObject({ status: "queued", attempts: 1, lease_owner: null, finished_at: null });
		expect(requeued.error).toContain("429");
		expect(requeued.active_fingerprint).toBe(task.fingerprint);

		// Attempt 2 of 2: the last one, so the task fails for good.
		const second = await claimed(task);
		expect(second.row.attempts).toBe(2);
		const result2 = await runClaimedTask(taskEnv, second.row, second.owner, deps);
		expect(result2).toEqual({ kind: "done", status: "failed" });
		const failed = await reload(task.id);
		expect(failed).toMatchObject({
			status: "failed",
			attempts: 2,
			lease_owner: null,
			model: `${provider}:rate-limited`,
		});
		expect(failed.finished_at).not.toBeNull();
		expect(failed.active_fingerprint).toBeNull();
		expect(failed.error).toContain("429");
		expect(failed.error).toMatch(/gave up after 2 attempts\)$/);

		// What the audience saw: the run started, then a RUN_ERROR saying what happens next.
		const runErrors = published.filter((e) => e.type === "RUN_ERROR");
		expect(runErrors.map((e) => e.code)).toEqual(["retrying", "attempts_exhausted"]);
		for (const e of runErrors) expect(String(e.message)).toContain("429");
		expect(published.filter((e) => e.type === "RUN_STARTED")).toHaveLength(2);
		expect(JSON.stringify(published)).not.toContain(API_KEY);
		expect(JSON.stringify(failed)).not.toContain(API_KEY);
	});
});
