import { z } from "zod";

/** US dollars per million tokens. `cached_input`: input read from the provider's prompt cache (default: `input`). */
export const PriceSchema = z.strictObject({
	input: z.number().nonnegative().max(100_000),
	output: z.number().nonnegative().max(100_000),
	cached_input: z.number().nonnegative().max(100_000).optional(),
});
export type Price = z.infer<typeof PriceSchema>;

/** `SPARKY_MODEL_PRICES`: `{"provider:model": Price}`, keys as `SPARKY_MODEL` spells them. */
export const PriceTableSchema = z.record(z.string().min(1).max(200), PriceSchema);
export type PriceTable = z.infer<typeof PriceTableSchema>;

/**
 * The list prices of the default models and their close kin, as their providers publish them
 * (checked 2026-12; docs/usage.md says how to override). A model missing here has no price:
 * its runs show tokens and "price unknown", never a guess. `demo` is free.
 */
export const DEFAULT_PRICES: PriceTable = {
	demo: { input: 0, output: 0 },
	"openai:gpt-5": { input: 1.25, output: 10, cached_input: 0.125 },
	"openai:gpt-5-mini": { input: 0.25, output: 2, cached_input: 0.025 },
	"openai:gpt-5-nano": { input: 0.05, output: 0.4, cached_input: 0.005 },
	"openai:gpt-4.1": { input: 2, output: 8, cached_input: 0.5 },
	"openai:gpt-4.1-mini": { input: 0.4, output: 1.6, cached_input: 0.1 },
	"openai:gpt-4o": { input: 2.5, output: 10, cached_input: 1.25 },
	"openai:gpt-4o-mini": { input: 0.15, output: 0.6, cached_input: 0.075 },
	"anthropic:claude-sonnet-4-5": { input: 3, output: 15, cached_input: 0.3 },
	"anthropic:claude-haiku-4-5": { input: 1, output: 5, cached_input: 0.1 },
	"anthropic:claude-opus-4-5": { input: 5, output: 25, cached_input: 0.5 },
};

/** One call's tokens, as the provider reported them. */
export interface CallTokens {
	inputTokens: number;
	outputTokens: number;
	/** Part of `inputTokens`. */
	cachedInputTokens: number;
	/** Part of `outputTokens` (billed as output). */
	reasoningTokens: number;
}

/** What the call cost in US dollars, or `null` without a price. */
export function costOf(tokens: CallTokens, price: Price | undefined): number | null {
	if (!price) return null;
	const cached = Math.min(tokens.cachedInputTokens, tokens.inputTokens);
	const fresh = tokens.inputTokens - cached;
	return (
		(fresh * price.input + cached * (price.cached_input ?? price.input) + tokens.outputTokens * price.output) / 1e6
	);
}
