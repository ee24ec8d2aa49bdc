// A run's own prompt within its budget (src/agent/fit-prompt.ts and the loop's hook before each
// model call): tool results are cut, oldest first, in the copy sent, never in the checkpoint.

import { type ModelMessage, tool } from "ai";
import { MockLanguageModelV4 } from "ai/test";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { fitMessages } from "../../src/agent/fit-prompt.ts";
import { messagesTokens, systemTokens, toolsTokens } from "../../src/agent/prompt-size.ts";
import { runAgent } from "../../src/agent/runtime.ts";
import { stream, textParts, toolCallParts } from "../support/models.ts";
import { random } from "../support/random.ts";

const words = (n: number, seed = 0) =>
	Array.from({ length: Math.ceil(n / 6) }, (_, i) => ["alpha", "beta\n", 'gam"ma', "δέλτα", "🙂ok"][(i + seed) % 5])
		.join(" ")
		.slice(0, n);

/** A run's conversation: the message, then `steps` tool calls each with its result. */
function conversation(rand: () => number, steps: number): ModelMessage[] {
	const messages: ModelMessage[] = [{ role: "user", content: words(50 + Math.floor(rand() * 3_000)) }];
	for (let i = 0; i < steps; i++) {
		const id = `call_${i}`;
		messages.push({
			role: "assistant",
			content: [
				{ type: "text", text: words(Math.floor(rand() * 500), i) },
				{
					type: "tool-call",
					toolCallId: id,
					toolName: "read_file",
					input: { path: words(Math.floor(rand() * 400), i) },
				},
			],
		});
		const size = rand() < 0.3 ? Math.floor(rand() * 80_000) : Math.floor(rand() * 3_000);
		const output =
			rand() < 0.5
				? { type: "json" as const, value: { content: words(size, i), lines: i } }
				: { type: "text" as const, value: words(size, i) };
		messages.push({ role: "tool", content: [{ type: "tool-result", toolCallId: id, toolName: "read_file", output }] });
	}
	return messages;
}

describe("fitMessages", () => {
	it("fits any run within the limit, never touching the messages it was given", () => {
		for (let seed = 1; seed <= 200; seed++) {
			const rand = random(seed);
			const messages = conversation(rand, Math.floor(rand() * 14));
			const before = structuredClone(messages);
			const limit = 600 + Math.floor(rand() * 30_000);
			const fitted = fitMessages(messages, limit);
			expect(fitted.tokens, `seed ${seed}`).toBe(messagesTokens(fitted.messages));
			expect(fitted.tokens, `seed ${seed}`).toBeLessThanOrEqual(limit);
			expect(messages).toEqual(before);
			// Still a conversation a provider takes: the user first, no result without its call.
			expect(fitted.messages[0]?.role).toBe("user");
			const calls = new Set(
				fitted.messages.flatMap((m) =>
					m.role === "assistant" && typeof m.content !== "string"
						? m.content.flatMap((p) => (p.type === "tool-call" ? [p.toolCallId] : []))
						: [],
				),
			);
			for (const m of fitted.messages)
				if (m.role === "tool")
					for (const p of m.content) if (p.type === "tool-result") expect(calls.has(p.toolCallId)).toBe(true);
		}
	});

	it("cuts the oldest tool results first, visibly, and leaves what fits alone", () => {
		const result = (id: string, size: number): ModelMessage => ({
			role: "tool",
			content: [
				{
					type: "tool-result",
					toolCallId: id,
					toolName: "read_file",
					output: { type: "text", value: "r".repeat(size) },
				},
			],
		});
		const call = (id: string): ModelMessage => ({
			role: "assistant",
			content: [{ type: "tool-call", toolCallId: id, toolName: "read_file", input: { path: "a.txt" } }],
		});
		const messages = [
			{ role: "user", content: "read it twice" } as ModelMessage,
			call("a"),
			result("a", 20_000),
			call("b"),
			result("b", 20_000),
		];
		expect(fitMessages(messages, 100_000)).toMatchObject({ cut: 0, dropped: 0, messages });

		const fitted = fitMessages(messages, 7_000);
		expect(fitted).toMatchObject({ cut: 1, dropped: 0 });
		const outputs = fitted.messages.flatMap((m) =>
			m.role === "tool" ? m.content.flatMap((p) => (p.type === "tool-result" ? [p.output] : [])) : [],
		);
		const first = outputs[0] as { value: string };
		expect(first.value).toMatch(/^r+… \[cut: [\d,]+ characters\]$/);
		expect(outputs[1]).toEqual({ type: "text", value: "r".repeat(20_000) });
	});

	it("leaves the oldest messages out with a note when cutting is not enough", () => {
		const messages = conversation(random(7), 40);
		const fitted = fitMessages(messages, 2_500);
		expect(fitted.dropped).toBeGreaterThan(0);
		expect(fitted.tokens).toBeLessThanOrEqual(2_500);
		expect(fitted.messages[0]).toEqual({
			role: "user",
			content: `[${fitted.dropped} earlier messages of this run left out to fit the model's context]`,
		});
		expect(fitted.messages.at(-1)).toEqual(expect.objectContaining({ role: "tool" }));
	});
});

describe("the agent loop within contextTokens", () => {
	const big = "line of a very large file\n".repeat(4_000);
	const tools = {
		read_file: tool({
			description: "read",
			inputSchema: z.object({ path: z.string() }),
			execute: async () => ({ content: big }),
		}),
	};

	it("sends the model its results cut to fit, and checkpoints them whole", async () => {
		const prompts: string[] = [];
		let step = 0;
		const model = new MockLanguageModelV4({
			doStream: async ({ prompt }) => {
				prompts.push(JSON.stringify(prompt));
				step++;
				return stream(
					step < 3 ? toolCallParts("read_file", { path: `f${step}.txt` }, `call_${step}`) : textParts("read both"),
				);
			},
		});
		const saved: ModelMessage[] = [];
		const outcome = await runAgent({
			runId: "fit:1",
			model,
			system: "test",
			messages: [{ role: "user", content: "read two big files" }],
			tools,
			limits: { maxSteps: 8, maxRunMs: 10_000, maxOutputTokens: 10_000 },
			signal: new AbortController().signal,
			onEvent: () => {},
			onMessages: async (added) => {
				saved.push(...added);
			},
			contextTokens: 8_000,
		});
		expect(outcome.status).toBe("completed");
		expect(prompts).toHaveLength(3);
		// 26,000 tokens of results each: the model never got one whole…
		expect(prompts.every((p) => !p.includes(big.slice(0, 20_000)))).toBe(true);
		expect(prompts[2]).toContain("characters]");
		expect(prompts.every((p) => p.length / 4 < 8_000 * 1.5)).toBe(true);
		// …but the checkpoint has them as the tool returned them.
		const results = [...saved, ...(outcome.status === "completed" ? outcome.unsaved : [])].filter(
			(m) => m.role === "tool",
		);
		expect(results.map((m) => JSON.stringify(m).includes(JSON.stringify(big).slice(1, -1)))).toEqual([true, true]);
	});

	it("fails the run, saying why, when the system prompt and tools alone pass the budget", async () => {
		const model = new MockLanguageModelV4({ doStream: async () => stream(textParts("never")) });
		const system = "s".repeat(8_000);
		const outcome = await runAgent({
			runId: "fit:2",
			model,
			system,
			messages: [{ role: "user", content: "hi" }],
			tools,
			limits: { maxSteps: 8, maxRunMs: 10_000, maxOutputTokens: 10_000 },
			signal: new AbortController().signal,
			onEvent: () => {},
			contextTokens: 1_000,
		});
		expect(model.doStreamCalls).toHaveLength(0);
		expect(outcome).toMatchObject({ status: "failed", error: { kind: "permanent" } });
		const fixed = systemTokens(system) + (await toolsTokens(tools));
		if (outcome.status === "failed")
			expect(outcome.error.message).toContain(`the system prompt and tool declarations take ${fixed}`);
	});
});
