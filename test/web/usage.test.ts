import { describe, expect, it } from "vitest";
import type { UsageRow } from "../../src/protocol/index.ts";
import { parseRoute, routePath } from "../../web/src/lib/route.ts";
import {
	chartMetric,
	DAY_MS,
	dayKey,
	daySeries,
	periodSince,
	pointValue,
	usagePath,
	utcDay,
} from "../../web/src/lib/usage.ts";

const row = (key: string, over: Partial<UsageRow> = {}): UsageRow => ({
	key,
	runs: 1,
	calls: 2,
	unpriced_calls: 0,
	input_tokens: 100,
	output_tokens: 20,
	cached_input_tokens: 0,
	reasoning_tokens: 0,
	cost_usd: 0.25,
	...over,
});

const NOW = Date.UTC(2026, 11, 6, 15, 30);

describe("web: the Usage panel's arithmetic", () => {
	it("is a panel of its own at /usage", () => {
		expect(parseRoute("/usage")).toEqual({ kind: "usage" });
		expect(routePath({ kind: "usage" })).toBe("/usage");
		expect(parseRoute("/usage/x")).toEqual({ kind: "home" });
	});

	it("counts whole UTC days, today included", () => {
		expect(dayKey(NOW)).toBe("2026-12-06");
		expect(utcDay(NOW)).toBe(Date.UTC(2026, 11, 6));
		expect(periodSince(7, NOW)).toBe(Date.UTC(2026, 10, 30));
		expect(periodSince(1, NOW)).toBe(Date.UTC(2026, 11, 6));
	});

	it("asks the API for a grouping over a period, and one user only when asked", () => {
		expect(usagePath("day", 1000)).toBe("/api/usage?by=day&since=1000");
		expect(usagePath("task", 1000, { limit: 10, user: "bob" })).toBe("/api/usage?by=task&since=1000&user=bob&limit=10");
	});

	it("fills the days without a row with zeros, in order", () => {
		const since = periodSince(4, NOW);
		const points = daySeries(
			[row("2026-12-04", { cost_usd: 0.5, input_tokens: 300, output_tokens: 30, calls: 3 }), row("2026-12-06")],
			since,
			NOW,
		);
		expect(points).toEqual([
			{ day: "2026-12-03", costUsd: 0, tokens: 0, calls: 0 },
			{ day: "2026-12-04", costUsd: 0.5, tokens: 330, calls: 3 },
			{ day: "2026-12-05", costUsd: 0, tokens: 0, calls: 0 },
			{ day: "2026-12-06", costUsd: 0.25, tokens: 120, calls: 2 },
		]);
		expect(daySeries([], since, since + 3 * DAY_MS)).toHaveLength(3);
	});

	it("charts dollars when everything had a price and cost something; tokens otherwise", () => {
		const total = { ...row("x"), key: undefined };
		expect(chartMetric(total)).toBe("cost");
		expect(chartMetric({ ...total, cost_usd: null, unpriced_calls: 1 })).toBe("tokens");
		expect(chartMetric({ ...total, cost_usd: 0 })).toBe("tokens");
		const point = { day: "2026-12-06", costUsd: null, tokens: 50, calls: 1 };
		expect(pointValue(point, "cost")).toBe(0);
		expect(pointValue(point, "tokens")).toBe(50);
	});
});
