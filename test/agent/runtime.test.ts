import { tool } from "ai";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { DemoLanguageModel } from "../../src/agent/demo-model.ts";
import { runAgent } from "../../src/agent/runtime.ts";
import type { AgUiEvent } from "../../src/protocol/index.ts";

// Runs the real agent loop with the demo model and in-memory tools: no Workers APIs, so
// this file runs under Deno too (the loop is part of the portable core).
const files = new Map([["README.md", "# Demo\n\nHello from the test.\n"]]);
const tools = {
	list_files: tool({
		description: "list",
		inputSchema: z.object({}),
		execute: async () => ({ files: [...files].map(([path, c]) => ({ path, size: c.length })) }),
	}),
	read_file: tool({
		description: "read",
		inputSchema: z.object({ path: z.string() }),
		execute: async ({ path }) => (files.has(path) ? { path, content: files.get(path) } : { error: `no file ${path}` }),
	}),
};

async function run(instruction: string, limits = { maxSteps: 8, maxRunMs: 10_000, maxOutputTokens: 10_000 }) {
	const events: AgUiEvent[] = [];
	const outcome = await runAgent({
		runId: "t:1",
		model: new DemoLanguageModel(),
		system: "test",
		messages: [{ role: "user", content: instruction }],
		tools,
		limits,
		signal: new AbortController().signal,
		onEvent: (e) => events.push(e),
	});
	return { outcome, events };
}

describe("runAgent with the demo model", () => {
	it("makes real tool calls through the loop and answers from their results", async () => {
		const { outcome, events } = await run("List files in the workspace and summarise README.md");
		expect(outcome.status).toBe("completed");
		if (outcome.status !== "completed") return;
		expect(outcome.steps).toBe(3);
		expect(outcome.text).toContain("README.md");
		expect(outcome.text).toContain('Its title is "Demo"');
		expect(outcome.usage.outputTokens).toBeGreaterThan(0);
		const calls = events.filter((e) => e.type === "TOOL_CALL_START").map((e) => e.toolCallName);
		expect(calls).toEqual(["list_files", "read_file"]);
		const results = events.filter((e) => e.type === "TOOL_CALL_RESULT").map((e) => String(e.content));
		expect(results[1]).toContain("Hello from the test.");
	});

	/** Runs the loop, logging each checkpoint write and each tool run, in order. */
	async function checkpointed(canRepeat: boolean) {
		const log: string[] = [];
		const logged = Object.fromEntries(
			Object.entries(tools).map(([name, t]) => [
				name,
				{
					...t,
					execute: (input: never, o: never) => {
						log.push(`run ${name}`);
						return t.execute(input, o);
					},
				},
			]),
		);
		const outcome = await runAgent({
			runId: "t:1",
			model: new DemoLanguageModel(),
			system: "test",
			messages: [{ role: "user", content: "List files in the workspace and summarise README.md" }],
			tools: logged as typeof tools,
			limits: { maxSteps: 8, maxRunMs: 10_000, maxOutputTokens: 10_000 },
			signal: new AbortController().signal,
			onEvent: () => {},
			decideMayPause: () => false,
			canRepeat: () => canRepeat,
			onMessages: async (added, totals, inFlight) => {
				log.push(`write ${added.map((m) => m.role).join("+")} step ${totals.steps} in flight ${inFlight ?? "-"}`);
			},
		});
		if (outcome.status !== "completed") throw new Error(`run ${outcome.status}`);
		return { log: log.map((line) => line.replace(/demo_\S+/, "<call>")), unsaved: outcome.unsaved.map((m) => m.role) };
	}

	it("checkpoints each step with its call's in-flight mark, a result before the next model call, and hands back the answer", async () => {
		expect(await checkpointed(false)).toEqual({
			log: [
				"write assistant step 1 in flight <call>",
				"run list_files",
				"write tool step 1 in flight -",
				"write assistant step 2 in flight <call>",
				"run read_file",
				"write tool step 2 in flight -",
			],
			unsaved: ["assistant"],
		});
	});

	it("writes a repeatable call's result with what follows it: the next step's write, or the answer", async () => {
		expect(await checkpointed(true)).toEqual({
			log: [
				"write assistant step 1 in flight <call>",
				"run list_files",
				"write tool+assistant step 2 in flight <call>",
				"run read_file",
			],
			unsaved: ["tool", "assistant"],
		});
	});

	it("lets the model read why a call to a tool it doesn't have failed, instead of ending without an answer", async () => {
		const { outcome } = await run('Use the gone__echo tool with {"message":"hi"}');
		expect(outcome.status).toBe("completed");
		if (outcome.status !== "completed") return;
		expect(outcome.steps).toBe(2);
		expect(outcome.text).toContain("**gone__echo** failed");
	});

	it("is deterministic", async () => {
		const a = await run("read README.md");
		const b = await run("read README.md");
		expect(a.events).toEqual(b.events);
	});

	it("stops at the step limit with an outcome, not a hang", async () => {
		const { outcome } = await run("list files and read README.md", {
			maxSteps: 1,
			maxRunMs: 10_000,
			maxOutputTokens: 10_000,
		});
		expect(outcome).toMatchObject({ status: "limit", limit: "steps" });
	});

	it("answers honestly when it can't act", async () => {
		const { outcome } = await run("tell me a joke");
		expect(outcome.status === "completed" && outcome.text).toContain("demo model");
	});
});
