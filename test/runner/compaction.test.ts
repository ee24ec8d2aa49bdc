// Folding a chat's older turns into a summary (src/runner/compaction.ts) with a scripted model:
// every call within the budget, each folding into the one before it, a bounded number of calls.

import type { LanguageModelV4CallOptions } from "@ai-sdk/provider";
import { MockLanguageModelV4 } from "ai/test";
import { describe, expect, it } from "vitest";
import { formatTurn, TURNS_HEADER } from "../../src/agent/summary-prompt.ts";
import { messageTextTokens } from "../../src/agent/tokens.ts";
import { foldTurns, MAX_FOLDS } from "../../src/runner/compaction.ts";
import { providerError, stream, textParts } from "../support/models.ts";

/** The system prompt and the one user message of a call, as text. */
function texts(options: LanguageModelV4CallOptions): { system: string; input: string } {
	const system = options.prompt.find((m) => m.role === "system");
	const user = options.prompt.find((m) => m.role === "user");
	return {
		system: system?.role === "system" ? system.content : "",
		input: user?.role === "user" ? user.content.map((p) => (p.type === "text" ? p.text : "")).join("") : "",
	};
}

function recordingModel() {
	const calls: { system: string; input: string; maxOutputTokens?: number }[] = [];
	const model = new MockLanguageModelV4({
		doStream: async (options) => {
			calls.push({ ...texts(options), maxOutputTokens: options.maxOutputTokens });
			return stream(textParts(`summary ${calls.length} (after ${calls.length - 1})`));
		},
	});
	return { model, calls };
}

const turns = (n: number, chars: number) =>
	Array.from({ length: n }, (_, i) =>
		formatTurn([
			{ who: "user", text: `turn ${i}: ${"x".repeat(chars)}` },
			{ who: "sparky", text: `answer ${i}` },
		]),
	);

describe("foldTurns", () => {
	it("folds turns in calls that each fit the budget, each building on the summary before", async () => {
		const { model, calls } = recordingModel();
		const budget = 2_000;
		const result = await foldTurns({
			model,
			previous: "what came before",
			turns: turns(20, 1_200),
			unread: 0,
			budget,
			summaryTokens: 300,
			signal: new AbortController().signal,
		});
		expect(result).toMatchObject({
			ok: true,
			leftOut: 0,
			summary: `summary ${calls.length} (after ${calls.length - 1})`,
		});
		expect(calls.length).toBeGreaterThan(2);
		expect(calls.length).toBeLessThanOrEqual(MAX_FOLDS);
		for (const call of calls) {
			expect(messageTextTokens(call.system) + messageTextTokens(call.input)).toBeLessThanOrEqual(budget);
			expect(call.maxOutputTokens).toBe(300);
		}
		expect(calls[0]?.input.startsWith(`what came before\n\n${TURNS_HEADER}\n`)).toBe(true);
		for (const [i, call] of calls.slice(1).entries())
			expect(call.input.startsWith(`summary ${i + 1} (after ${i})`)).toBe(true);
		// Every turn was read once, in order.
		const read = calls.flatMap((c) => [...c.input.matchAll(/User: turn (\d+):/g)].map((m) => Number(m[1])));
		expect(read).toEqual(Array.from({ length: 20 }, (_, i) => i));
	});

	it("makes at most MAX_FOLDS calls, and says how many older turns it left out", async () => {
		const { model, calls } = recordingModel();
		const result = await foldTurns({
			model,
			previous: undefined,
			turns: turns(200, 1_200),
			unread: 5,
			budget: 2_000,
			summaryTokens: 300,
			signal: new AbortController().signal,
		});
		expect(calls).toHaveLength(MAX_FOLDS);
		if (!result.ok) return expect.fail(result.error);
		const read = calls.flatMap((c) => [...c.input.matchAll(/User: turn (\d+):/g)].map((m) => Number(m[1])));
		// The newest are folded; the oldest (and the 5 never read) are counted as left out.
		expect(read.at(-1)).toBe(199);
		expect(result.leftOut).toBe(5 + (read[0] as number));
		expect(calls[0]?.input).toContain(`[${result.leftOut} turns before these were left out]`);
	});

	it("fails as a whole when a call fails, with the provider's reason", async () => {
		let n = 0;
		const model = new MockLanguageModelV4({
			doStream: async () => {
				if (++n === 2) throw providerError(503, "overloaded");
				return stream(textParts("partial summary"));
			},
		});
		const result = await foldTurns({
			model,
			previous: undefined,
			turns: turns(20, 1_200),
			unread: 0,
			budget: 2_000,
			summaryTokens: 300,
			signal: new AbortController().signal,
		});
		expect(result).toEqual({ ok: false, error: expect.stringContaining("HTTP 503") });
	});
});
