import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DemoLanguageModel } from "../../src/agent/demo-model.ts";
import { hubFor } from "../../src/hub/stub.ts";
import type { WireEvent } from "../../src/protocol/index.ts";
import { appendMessages, loadCheckpoint } from "../../src/storage/checkpoints.ts";
import { newUser } from "../support/api.ts";
import { asResolution, providerError } from "../support/models.ts";
import { deliver, queuedTask, reload } from "../support/tasks.ts";

/** The demo model, but its `n`-th call (1-based) fails like a provider outage would. */
function demoFailingAt(n: number) {
	const demo = new DemoLanguageModel();
	let calls = 0;
	const doStream: typeof demo.doStream = async (options) => {
		calls++;
		if (calls === n) throw providerError(503, "Service Unavailable");
		return demo.doStream(options);
	};
	return { model: Object.assign(Object.create(demo), { doStream }) as DemoLanguageModel, calls: () => calls };
}

/** A fetch that answers every URL with a small page and counts the calls per URL. */
function countingFetch() {
	const calls = new Map<string, number>();
	const fetch = (async (input: RequestInfo | URL) => {
		const url = input instanceof Request ? input.url : String(input);
		calls.set(url, (calls.get(url) ?? 0) + 1);
		return new Response("<html><title>Side effect</title><body>done</body></html>", {
			headers: { "Content-Type": "text/html" },
		});
	}) as typeof globalThis.fetch;
	return { fetch, count: (url: string) => calls.get(url) ?? 0 };
}

const URL_ = "https://effects.example.com/charge?id=1";

describe("checkpointed runs", () => {
	it("a retry resumes from the last checkpoint: a completed side effect is not repeated", async () => {
		const user = await newUser();
		const task = await queuedTask(user.id, { instruction: `Fetch ${URL_} and list files`, max_attempts: 3 });
		const { fetch, count } = countingFetch();
		// Call 1: fetch the URL. Call 2 (the next step) fails: the run is retried.
		const failing = demoFailingAt(2);
		const first = await deliver(task.id, { model: asResolution(failing.model, "demo"), fetch });
		expect(first.retryMessages).toHaveLength(1);
		expect(count(URL_)).toBe(1);
		const saved = await loadCheckpoint(env.DB, task.id);
		expect(saved.checkpoint.steps).toBe(1);
		expect(saved.messages.map((m) => m.message.role)).toEqual(["assistant", "tool"]);

		const second = await deliver(task.id, { model: asResolution(new DemoLanguageModel(), "demo"), fetch }, 2);
		expect(second.explicitAcks).toHaveLength(1);
		const done = await reload(task.id);
		expect(done).toMatchObject({ status: "succeeded", attempts: 2 });
		expect(count(URL_)).toBe(1);
		expect(done.result).toContain("Fetched https://effects.example.com/charge?id=1");
		expect(done.result).toContain("README.md");
		// The second attempt ran only what was left: one list_files call, no second fetch.
		const { events } = await hubFor(env, user.id).taskEvents(task.id);
		const starts = events.filter((e) => e.type === "TOOL_CALL_START");
		expect(starts.map((e) => [e.attempt, e.toolCallName])).toEqual([
			[1, "http_fetch"],
			[2, "list_files"],
		]);
	});

	it("a non-idempotent call cut off by a crash is not run again: the model is told it may not have completed", async () => {
		const user = await newUser();
		const task = await queuedTask(user.id, { instruction: `Fetch ${URL_}` });
		// What a crashed first attempt left: the model's call, marked in flight, with no result.
		const runId = `${task.id}:1`;
		const call = { type: "tool-call" as const, toolCallId: "demo_c1", toolName: "http_fetch", input: { url: URL_ } };
		await appendMessages(
			env.DB,
			task.id,
			0,
			[{ runId, message: { role: "assistant", content: [call] } }],
			{ steps: 1, inputTokens: 10, outputTokens: 5, runMs: 100 },
			Date.now(),
			"demo_c1",
		);
		await env.DB.prepare("UPDATE tasks SET attempts = 1 WHERE id = ?").bind(task.id).run();
		const { fetch, count } = countingFetch();
		await deliver(task.id, { fetch }, 2);
		expect(count(URL_)).toBe(0);
		const done = await reload(task.id);
		expect(done.status).toBe("succeeded");
		expect(done.result).toContain("interrupted");
		// The result joins the call the first attempt announced.
		const { events } = await hubFor(env, user.id).taskEvents(task.id);
		const result = events.find((e) => e.type === "TOOL_CALL_RESULT") as WireEvent;
		expect(result.toolCallId).toBe(`${runId}:demo_c1`);
		expect(String(result.content)).toContain("may or may not have");
	});

	it("an idempotent call cut off by a crash runs again", async () => {
		const user = await newUser();
		const task = await queuedTask(user.id, { instruction: "Read README.md" });
		const call = {
			type: "tool-call" as const,
			toolCallId: "demo_r1",
			toolName: "read_file",
			input: { path: "README.md" },
		};
		await appendMessages(
			env.DB,
			task.id,
			0,
			[{ runId: `${task.id}:1`, message: { role: "assistant", content: [call] } }],
			{ steps: 1, inputTokens: 10, outputTokens: 5, runMs: 100 },
			Date.now(),
			"demo_r1",
		);
		await env.DB.prepare("UPDATE tasks SET attempts = 1 WHERE id = ?").bind(task.id).run();
		await deliver(task.id, {}, 2);
		const done = await reload(task.id);
		expect(done.status).toBe("succeeded");
		expect(done.result).toContain("**README.md** has");
		expect(done.result).not.toContain("interrupted");
	});

	it("counts steps across attempts: a resumed run stops at the task's step limit", async () => {
		const user = await newUser();
		const task = await queuedTask(user.id, { instruction: "list files and read README.md" });
		// Eleven of the twelve steps were spent by earlier attempts (tool calls answered).
		await appendMessages(env.DB, task.id, 0, [], { steps: 12, inputTokens: 0, outputTokens: 0, runMs: 0 }, Date.now());
		await env.DB.prepare("UPDATE tasks SET attempts = 1 WHERE id = ?").bind(task.id).run();
		await deliver(task.id, {}, 2);
		const done = await reload(task.id);
		expect(done.status).toBe("failed");
		expect(done.error).toContain("limit of 12 steps");
	});
});
