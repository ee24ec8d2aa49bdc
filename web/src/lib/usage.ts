import type { UsageGrouping, UsageReport, UsageRow } from "../../../src/protocol/index.ts";

/** The Usage panel's arithmetic: periods, days, what the chart plots. Pure (tested in test/web/usage.test.ts). */

export const DAY_MS = 86_400_000;

/** The periods the panel offers, in days (today included). */
export const PERIODS = [7, 30, 90] as const;
export type Period = (typeof PERIODS)[number];

/** Midnight UTC of the day `ms` falls in: the server's days are UTC days. */
export function utcDay(ms: number): number {
	return Math.floor(ms / DAY_MS) * DAY_MS;
}

/** `YYYY-MM-DD` (UTC), as the server keys `by=day` rows. */
export function dayKey(ms: number): string {
	return new Date(utcDay(ms)).toISOString().slice(0, 10);
}

/** Where the last `days` days start: midnight UTC, `days - 1` days before today's. */
export function periodSince(days: number, now: number): number {
	return utcDay(now) - (days - 1) * DAY_MS;
}

/** `/api/usage?…` for a grouping over a period (and, for an admin, one user). */
export function usagePath(by: UsageGrouping, since: number, options: { user?: string; limit?: number } = {}): string {
	const query = new URLSearchParams({ by, since: String(since) });
	if (options.user) query.set("user", options.user);
	if (options.limit) query.set("limit", String(options.limit));
	return `/api/usage?${query}`;
}

/** One day of the chart. */
export interface DayPoint {
	/** `YYYY-MM-DD` (UTC). */
	day: string;
	/** `null`: some call that day had no known price. */
	costUsd: number | null;
	tokens: number;
	calls: number;
}

/** Every day from `since` up to (not including) `until`, zero where the report has no row. */
export function daySeries(rows: readonly UsageRow[], since: number, until: number): DayPoint[] {
	const byDay = new Map(rows.map((r) => [r.key, r]));
	const points: DayPoint[] = [];
	for (let day = utcDay(since); day < until; day += DAY_MS) {
		const key = dayKey(day);
		const row = byDay.get(key);
		points.push({
			day: key,
			costUsd: row ? row.cost_usd : 0,
			tokens: row ? row.input_tokens + row.output_tokens : 0,
			calls: row?.calls ?? 0,
		});
	}
	return points;
}

/**
 * What the chart plots: dollars when every call of the period had a price and something cost
 * money; tokens otherwise (a price unknown must not read as $0, and bars of $0 say nothing).
 */
export function chartMetric(total: UsageReport["total"]): "cost" | "tokens" {
	return total.cost_usd !== null && total.cost_usd > 0 ? "cost" : "tokens";
}

/** A bar's value for the metric (a day without a price counts its tokens only on a tokens chart). */
export function pointValue(point: DayPoint, metric: "cost" | "tokens"): number {
	return metric === "cost" ? (point.costUsd ?? 0) : point.tokens;
}

/** The day a bar stands for, in words: `Mon, Dec 1` (UTC, the day the server counted it in). */
export function dayLabel(day: string): string {
	return new Date(`${day}T00:00:00Z`).toLocaleDateString("en-US", {
		weekday: "short",
		month: "short",
		day: "numeric",
		timeZone: "UTC",
	});
}
