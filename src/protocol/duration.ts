import { z } from "zod";

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** Parses `90s`, `30m`, `12h`, `7d`, `2w` (or a sum like `1h30m`) to milliseconds; undefined if malformed. */
export function parseDuration(text: string): number | undefined {
	const trimmed = text.trim().toLowerCase();
	if (!/^(\d+[smhdw])+$/.test(trimmed)) return undefined;
	let total = 0;
	for (const [, amount, unit] of trimmed.matchAll(/(\d+)([smhdw])/g)) {
		total += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
	}
	return Number.isSafeInteger(total) && total > 0 ? total : undefined;
}

/** A duration given as whole seconds or as a string like `30d`; yields milliseconds. */
export const DurationSchema = z.union([z.number().int().positive(), z.string()]).transform((value, ctx) => {
	const ms = typeof value === "number" ? value * 1000 : parseDuration(value);
	if (ms === undefined || !Number.isSafeInteger(ms)) {
		ctx.addIssue({ code: "custom", message: 'expected seconds or a duration like "90s", "30m", "12h", "7d"' });
		return z.NEVER;
	}
	return ms;
});
