/**
 * Money and usage as people read them, the same on the page and in the terminal (issue #26).
 * US dollars; a cost the server could not price (`null`: the model has no known price) is
 * "price unknown", never "$0"; under a cent shows up to four decimals ("$0.0031"), anything
 * else two ("$1.25"). Web-standard APIs only (no DOM, no Node).
 */

import { type BudgetExceeded, BudgetExceededSchema } from "../protocol/index.ts";

export type { BudgetExceeded };

/** What a `null` cost reads as. */
export const PRICE_UNKNOWN = "price unknown";

/**
 * `$0.00`, `$0.0031`, `$0.48`, `$1,234.50`; `null`/`undefined` → "price unknown". A cost above
 * zero but below $0.0001 is `<$0.0001` (it is not nothing, and not worth more digits).
 */
export function formatUsd(usd: number | null | undefined): string {
	if (usd === null || usd === undefined || !Number.isFinite(usd)) return PRICE_UNKNOWN;
	const value = Math.max(0, usd);
	if (value === 0) return "$0.00";
	if (value < 0.0001) return "<$0.0001";
	if (value < 0.01) {
		// Four decimals at most, trailing zeros dropped ($0.0031, $0.005); 0.00996 rounds to a cent.
		const fixed = value.toFixed(4);
		return fixed === "0.0100" ? "$0.01" : `$${fixed.replace(/0+$/, "")}`;
	}
	return `$${value.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** `1,234`: token counts with thousands separators. */
export function formatCount(n: number): string {
	return Math.round(n).toLocaleString("en-US");
}

/** `1.2k`, `3.4M`: a short token count for a chart's axis. */
export function formatCompact(n: number): string {
	if (n < 1000) return String(Math.round(n));
	if (n < 1_000_000) return `${trim(n / 1000)}k`;
	return `${trim(n / 1_000_000)}M`;
}

function trim(n: number): string {
	return n >= 100 ? String(Math.round(n)) : n.toFixed(1).replace(/\.0$/, "");
}

/** One model call's (or a run's) tokens and cost, as the timeline keeps them. */
export interface TokenUsage {
	inputTokens: number;
	outputTokens: number;
	cachedInputTokens?: number;
	reasoningTokens?: number;
}

/**
 * `1,234 tokens (1,000 in, 234 out)`, with `200 cached` / `50 reasoning` when the provider said
 * so (both are parts of in / out, not extra).
 */
export function formatTokenUsage(t: TokenUsage): string {
	const parts = [`${formatCount(t.inputTokens)} in`];
	if (t.cachedInputTokens) parts.push(`${formatCount(t.cachedInputTokens)} cached`);
	parts.push(`${formatCount(t.outputTokens)} out`);
	if (t.reasoningTokens) parts.push(`${formatCount(t.reasoningTokens)} reasoning`);
	return `${formatCount(t.inputTokens + t.outputTokens)} tokens (${parts.join(", ")})`;
}

/**
 * The sum of some costs: `null` as soon as one is unknown (a total must not look priced when a
 * part of it isn't); `undefined` for no costs at all.
 */
export function sumCosts(costs: readonly (number | null | undefined)[]): number | null | undefined {
	let total: number | null | undefined;
	for (const cost of costs) {
		if (cost === undefined) continue;
		if (cost === null) return null;
		total = (total ?? 0) + cost;
	}
	return total;
}

// ---- budgets ----------------------------------------------------------------------------------

/** The details of a `budget_exceeded` error, when they are what the server documents (`BudgetExceededSchema`). */
export function parseBudgetExceeded(details: unknown): BudgetExceeded | undefined {
	const parsed = BudgetExceededSchema.safeParse(details);
	return parsed.success ? parsed.data : undefined;
}

/**
 * "You have spent $5.02 of your $5.00 daily budget. It resets at 00:00." `when` formats the
 * reset time the way the surface shows times.
 */
export function describeBudgetExceeded(b: BudgetExceeded, when: (ms: number) => string): string {
	const period = b.period === "day" ? "daily" : "monthly";
	return `You have spent ${formatUsd(b.spent_usd)} of your ${formatUsd(b.cap_usd)} ${period} budget. It resets at ${when(b.resets_at)}.`;
}

/** `input` of a budget approval (`kind: "budget"`). */
export interface BudgetAsk {
	spent_usd: number;
	budget_usd: number;
	more_usd: number;
	estimate_usd?: number;
}

/** A budget approval's input, when it is one. */
export function parseBudgetAsk(input: unknown): BudgetAsk | undefined {
	if (!input || typeof input !== "object") return undefined;
	const i = input as Record<string, unknown>;
	const { spent_usd, budget_usd, more_usd, estimate_usd } = i;
	if (typeof spent_usd !== "number" || typeof budget_usd !== "number" || typeof more_usd !== "number") return undefined;
	return { spent_usd, budget_usd, more_usd, ...(typeof estimate_usd === "number" ? { estimate_usd } : {}) };
}

/** "Spent $0.48 of $0.50. Allow $0.50 more?" */
export function budgetQuestion(ask: BudgetAsk): string {
	return `Spent ${formatUsd(ask.spent_usd)} of ${formatUsd(ask.budget_usd)}. Allow ${formatUsd(ask.more_usd)} more?`;
}
