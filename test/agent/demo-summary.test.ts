// The demo model's summaries (src/agent/demo-summary.ts, the summary branch of demo-model.ts)
// and the per-model context budgets (contextBudget in src/agent/models.ts). Pure.

import { streamText } from "ai";
import { describe, expect, it } from "vitest";
import { DemoLanguageModel } from "../../src/agent/demo-model.ts";
import { DEMO_SUMMARY_TITLE, demoSummary } from "../../src/agent/demo-summary.ts";
import { contextBudget } from "../../src/agent/models.ts";
import { formatTurn, summaryInput, summarySystemPrompt } from "../../src/agent/summary-prompt.ts";
import { estimateTokens } from "../../src/agent/tokens.ts";

const turn = (said: string, answer: string, tool?: string) =>
	formatTurn([
		{ who: "user", text: said },
		...(tool ? [{ who: "sparky" as const, text: `[used ${tool}({}) → {"files":[]}]` }] : []),
		{ who: "sparky", text: answer },
	]);

describe("the demo model's summary", () => {
	it("is one line per turn after the lines of the summary so far", () => {
		const first = demoSummary(
			summaryInput(undefined, [
				turn("My favourite colour is teal.", "Noted: teal it is. I will remember."),
				turn("List my files", "You have no files yet.", "list_files"),
			]),
		);
		expect(first).toBe(
			[
				DEMO_SUMMARY_TITLE,
				'- You said "My favourite colour is teal." — Sparky: "Noted: teal it is."',
				'- You said "List my files" — Sparky: "You have no files yet." (used list_files)',
			].join("\n"),
		);
		const second = demoSummary(summaryInput(first, [turn("And my name is Ada", "Hello Ada!\nNice to meet you.")]));
		expect(second.split("\n")).toEqual([
			...first.split("\n"),
			'- You said "And my name is Ada" — Sparky: "Hello Ada!"',
		]);
		// Deterministic: the same input, the same summary.
		expect(demoSummary(summaryInput(first, [turn("And my name is Ada", "Hello Ada!")]))).toBe(
			demoSummary(summaryInput(first, [turn("And my name is Ada", "Hello Ada!")])),
		);
	});

	it("clips what people said, and stays within its cap keeping the first turn and the newest", () => {
		const long = `${"word ".repeat(100)}end`;
		const [, line] = demoSummary(summaryInput(undefined, [turn(long, long)])).split("\n");
		expect(line).toBe(`- You said "${long.slice(0, 79)}…" — Sparky: "${long.slice(0, 79)}…"`);

		const turns = Array.from({ length: 60 }, (_, i) => turn(`turn number ${i} said this`, `answer ${i}.`));
		const capped = demoSummary(summaryInput(undefined, turns), 300);
		expect(estimateTokens(capped)).toBeLessThanOrEqual(300);
		const lines = capped.split("\n");
		expect(lines[1]).toContain("turn number 0 said");
		expect(lines.at(-1)).toContain("turn number 59 said");
		const hidden = Number(/^- … \((\d+) more turns not shown\)$/.exec(lines[2] as string)?.[1]);
		expect(hidden + lines.length - 3).toBe(60 - 1);
		// Folding more in counts the hidden ones on.
		const again = demoSummary(summaryInput(capped, [turn("one more", "ok.")]), 300).split("\n");
		expect(again[1]).toContain("turn number 0 said");
		const hiddenAgain = Number(/\((\d+) more turns/.exec(again[2] as string)?.[1]);
		expect(hiddenAgain + again.length - 3).toBe(60);
	});

	it("is what the demo model answers when asked to summarise", async () => {
		const input = summaryInput(undefined, [turn("My favourite colour is teal.", "Noted.")]);
		const result = streamText({
			model: new DemoLanguageModel(),
			system: summarySystemPrompt(100),
			messages: [{ role: "user", content: input }],
			maxOutputTokens: 200,
		});
		expect(await result.text).toBe(demoSummary(input, 200));
		// Any other system prompt gets the usual demo answer.
		const other = streamText({
			model: new DemoLanguageModel(),
			system: "You are Sparky.",
			messages: [{ role: "user", content: input }],
		});
		expect(await other.text).not.toContain(DEMO_SUMMARY_TITLE);
	});
});

describe("contextBudget", () => {
	it("is SPARKY_CONTEXT_TOKENS when set, else the model's window less room for the answer", () => {
		expect(contextBudget("anthropic:claude-sonnet-4-5", 5_000)).toBe(5_000);
		expect(contextBudget("demo")).toBe(8_000);
		// 200,000 less a quarter, under the 128,000 ceiling.
		expect(contextBudget("anthropic:claude-sonnet-4-5")).toBe(128_000);
		expect(contextBudget("openai:gpt-4o-mini")).toBe(96_000);
		expect(contextBudget("openai:gpt-3.5-turbo")).toBe(16_385 - 4_096);
		expect(contextBudget("openai-compatible:openai/gpt-5-mini")).toBe(128_000);
		expect(contextBudget("workers-ai:@cf/meta/llama-3.3-70b-instruct-fp8-fast")).toBe(18_000);
		expect(contextBudget("workers-ai:@cf/some/unknown-model")).toBe(8_000 - 4_096);
		expect(contextBudget("openai-compatible:someone/unheard-of-7b")).toBe(32_000);
	});
});
