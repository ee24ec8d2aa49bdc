import { z } from "zod";
import { log } from "../log.ts";
import { DEFAULT_PRICES, type Price, type PriceTable, PriceTableSchema } from "./prices.ts";

/** Dollars, given as a string var; empty or unset: none. */
const optionalDollars = z
	.string()
	.optional()
	.transform((value, ctx) => {
		if (value === undefined || value.trim() === "") return null;
		const n = Number(value);
		if (!Number.isFinite(n) || n <= 0) {
			ctx.addIssue({ code: "custom", message: `expected US dollars above 0, got "${value}"` });
			return z.NEVER;
		}
		return n;
	});

const UsageVarsSchema = z.object({
	SPARKY_MODEL_PRICES: z
		.string()
		.optional()
		.transform((value, ctx) => {
			if (value === undefined || value.trim() === "") return {};
			let json: unknown;
			try {
				json = JSON.parse(value);
			} catch {
				ctx.addIssue({ code: "custom", message: "SPARKY_MODEL_PRICES: not JSON" });
				return z.NEVER;
			}
			const parsed = PriceTableSchema.safeParse(json);
			if (!parsed.success) {
				ctx.addIssue({ code: "custom", message: `SPARKY_MODEL_PRICES: ${z.prettifyError(parsed.error)}` });
				return z.NEVER;
			}
			return parsed.data;
		}),
	SPARKY_TASK_BUDGET_USD: optionalDollars,
	SPARKY_USER_BUDGET_USD_DAY: optionalDollars,
	SPARKY_USER_BUDGET_USD_MONTH: optionalDollars,
});

export interface UsageConfig {
	prices: PriceTable;
	/** A task's budget when it names none (`null`: none). */
	taskBudgetUsd: number | null;
	userDayUsd: number | null;
	userMonthUsd: number | null;
}

const cache = new WeakMap<object, UsageConfig>();

/**
 * Prices and budgets from the environment. A var that doesn't parse is a deployment mistake:
 * it is logged and thrown (like `agentConfig`), so nothing runs unpriced by accident.
 */
export function usageConfig(env: Env): UsageConfig {
	const cached = cache.get(env);
	if (cached) return cached;
	const vars = env as unknown as Record<string, string | undefined>;
	const parsed = UsageVarsSchema.safeParse({
		SPARKY_MODEL_PRICES: vars.SPARKY_MODEL_PRICES,
		SPARKY_TASK_BUDGET_USD: vars.SPARKY_TASK_BUDGET_USD,
		SPARKY_USER_BUDGET_USD_DAY: vars.SPARKY_USER_BUDGET_USD_DAY,
		SPARKY_USER_BUDGET_USD_MONTH: vars.SPARKY_USER_BUDGET_USD_MONTH,
	});
	if (!parsed.success) {
		const message = z.prettifyError(parsed.error);
		log.error("invalid usage configuration", { message });
		throw new Error(`invalid configuration: ${message}`);
	}
	const v = parsed.data;
	const config: UsageConfig = {
		prices: { ...DEFAULT_PRICES, ...v.SPARKY_MODEL_PRICES },
		taskBudgetUsd: v.SPARKY_TASK_BUDGET_USD,
		userDayUsd: v.SPARKY_USER_BUDGET_USD_DAY,
		userMonthUsd: v.SPARKY_USER_BUDGET_USD_MONTH,
	};
	cache.set(env, config);
	return config;
}

/** The price of a model by its label (`provider:model`, `demo`), if known. */
export function priceOf(config: UsageConfig, label: string): Price | undefined {
	return Object.hasOwn(config.prices, label) ? config.prices[label] : undefined;
}
