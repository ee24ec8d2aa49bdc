import { describe, expect, it } from "vitest";
import {
	budgetQuestion,
	describeBudgetExceeded,
	formatCompact,
	formatTokenUsage,
	formatUsd,
	parseBudgetAsk,
	parseBudgetExceeded,
	sumCosts,
} from "../../src/client/money.ts";

describe("formatUsd: money as people read it", () => {
	it("says 'price unknown' for a cost the server could not price, never $0", () => {
		expect(formatUsd(null)).toBe("price unknown");
		expect(formatUsd(undefined)).toBe("price unknown");
		expect(formatUsd(Number.NaN)).toBe("price unknown");
	});

	it("shows a free call (the demo model) as $0.00", () => {
		expect(formatUsd(0)).toBe("$0.00");
	});

	it("shows costs under a cent with up to four decimals", () => {
		expect(formatUsd(0.0031)).toBe("$0.0031");
		expect(formatUsd(0.00314159)).toBe("$0.0031");
		expect(formatUsd(0.005)).toBe("$0.005");
		expect(formatUsd(0.0001)).toBe("$0.0001");
		expect(formatUsd(0.00996)).toBe("$0.01");
	});

	it("never rounds a tiny cost down to nothing", () => {
		expect(formatUsd(0.00002)).toBe("<$0.0001");
	});

	it("shows a cent and more with two decimals and thousands separators", () => {
		expect(formatUsd(0.01)).toBe("$0.01");
		expect(formatUsd(0.48)).toBe("$0.48");
		expect(formatUsd(0.5)).toBe("$0.50");
		expect(formatUsd(1.006)).toBe("$1.01");
		expect(formatUsd(1234.5)).toBe("$1,234.50");
	});
});

describe("token counts", () => {
	it("says in and out, and cached and reasoning only when there are some", () => {
		expect(formatTokenUsage({ inputTokens: 1000, outputTokens: 234 })).toBe("1,234 tokens (1,000 in, 234 out)");
		expect(
			formatTokenUsage({ inputTokens: 1000, outputTokens: 234, cachedInputTokens: 200, reasoningTokens: 50 }),
		).toBe("1,234 tokens (1,000 in, 200 cached, 234 out, 50 reasoning)");
		expect(formatTokenUsage({ inputTokens: 5, outputTokens: 1, cachedInputTokens: 0, reasoningTokens: 0 })).toBe(
			"6 tokens (5 in, 1 out)",
		);
	});

	it("shortens big counts for a chart", () => {
		expect(formatCompact(950)).toBe("950");
		expect(formatCompact(1200)).toBe("1.2k");
		expect(formatCompact(1_000)).toBe("1k");
		expect(formatCompact(3_400_000)).toBe("3.4M");
	});
});

describe("sumCosts", () => {
	it("is null as soon as one part has no price, undefined with nothing to sum", () => {
		expect(sumCosts([0.1, 0.2])).toBeCloseTo(0.3, 10);
		expect(sumCosts([0.1, null, 0.2])).toBeNull();
		expect(sumCosts([])).toBeUndefined();
		expect(sumCosts([undefined, 0.5])).toBe(0.5);
		expect(sumCosts([0])).toBe(0);
	});
});

describe("budgets in words", () => {
	it("asks a budget approval's question", () => {
		const ask = parseBudgetAsk({ spent_usd: 0.48, budget_usd: 0.5, more_usd: 0.5, estimate_usd: 0.02 });
		expect(ask).toEqual({ spent_usd: 0.48, budget_usd: 0.5, more_usd: 0.5, estimate_usd: 0.02 });
		if (!ask) throw new Error("parsed");
		expect(budgetQuestion(ask)).toBe("Spent $0.48 of $0.50. Allow $0.50 more?");
		expect(budgetQuestion({ spent_usd: 0.0031, budget_usd: 0.003, more_usd: 0.003 })).toBe(
			"Spent $0.0031 of $0.003. Allow $0.003 more?",
		);
	});

	it("refuses a tool call's input as a budget question", () => {
		expect(parseBudgetAsk({ path: "README.md" })).toBeUndefined();
		expect(parseBudgetAsk(undefined)).toBeUndefined();
		expect(parseBudgetAsk({ spent_usd: "0.4", budget_usd: 0.5, more_usd: 0.5 })).toBeUndefined();
	});

	it("names a spent day or month budget and when it resets", () => {
		const resets = Date.UTC(2026, 11, 7);
		const details = parseBudgetExceeded({ period: "day", cap_usd: 5, spent_usd: 5.02, resets_at: resets });
		expect(details).toEqual({ period: "day", cap_usd: 5, spent_usd: 5.02, resets_at: resets });
		if (!details) throw new Error("parsed");
		const when = (ms: number) => new Date(ms).toISOString();
		expect(describeBudgetExceeded(details, when)).toBe(
			"You have spent $5.02 of your $5.00 daily budget. It resets at 2026-12-07T00:00:00.000Z.",
		);
		const month = parseBudgetExceeded({
			period: "month",
			cap_usd: 50,
			spent_usd: 50,
			resets_at: Date.UTC(2027, 0, 1),
		});
		expect(month && describeBudgetExceeded(month, when)).toBe(
			"You have spent $50.00 of your $50.00 monthly budget. It resets at 2027-01-01T00:00:00.000Z.",
		);
	});

	it("leaves details it doesn't know to the server's message", () => {
		expect(parseBudgetExceeded(undefined)).toBeUndefined();
		expect(parseBudgetExceeded({ period: "week", cap_usd: 5, spent_usd: 6, resets_at: 1 })).toBeUndefined();
		expect(parseBudgetExceeded({ period: "day", cap_usd: 5, spent_usd: 6, resets_at: "soon" })).toBeUndefined();
	});
});
