import { z } from "zod";

/** A positive whole number given as a string var (wrangler vars are strings). */
const positiveInt = (fallback: number) =>
	z
		.string()
		.optional()
		.transform((value, ctx) => {
			if (value === undefined || value.trim() === "") return fallback;
			const n = Number(value);
			if (!Number.isInteger(n) || n <= 0) {
				ctx.addIssue({ code: "custom", message: `expected a positive whole number, got "${value}"` });
				return z.NEVER;
			}
			return n;
		});

const ConfigSchema = z.object({
	SPARKY_EVENT_RETENTION_COUNT: positiveInt(10_000),
	SPARKY_EVENT_RETENTION_HOURS: positiveInt(168),
	SPARKY_SESSION_TTL_HOURS: positiveInt(24),
});

export interface HubConfig {
	retentionCount: number;
	retentionMs: number;
	sessionTtlMs: number;
}

const HOUR = 3_600_000;

/**
 * Reads the hub's settings from the environment. A bad value fails loudly at the first
 * request that needs it (with the variable's name) rather than running with a guess.
 */
export function hubConfig(env: Record<string, unknown>): HubConfig {
	const parsed = ConfigSchema.safeParse(env);
	if (!parsed.success) {
		const issue = parsed.error.issues[0];
		throw new Error(`invalid configuration ${issue?.path.join(".")}: ${issue?.message}`);
	}
	return {
		retentionCount: parsed.data.SPARKY_EVENT_RETENTION_COUNT,
		retentionMs: parsed.data.SPARKY_EVENT_RETENTION_HOURS * HOUR,
		sessionTtlMs: parsed.data.SPARKY_SESSION_TTL_HOURS * HOUR,
	};
}
