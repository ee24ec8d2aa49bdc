import { describe, expect, it } from "vitest";
import { dueRun } from "../../src/schedules/slots.ts";
import { nextSlot, parseTiming, type Timing } from "../../src/schedules/timing.ts";
import { findCycle } from "../../src/tasks/graph.ts";

const timing = (input: { every?: string; cron?: string; timezone?: string }): Timing => {
	const parsed = parseTiming(input);
	if (!parsed.ok) throw new Error(parsed.error.message);
	return parsed.timing;
};
const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

describe("schedule timing", () => {
	it.each([
		["61 * * * *", "minute", 1],
		["0 25 * * *", "hour", 3],
		["0 9 32 * *", "day of month", 5],
		["0 9 * 13 *", "month", 7],
		["0 9 * * 8", "day of week", 9],
		["*/0 * * * *", "minute", 1],
		["0 0 * * mon-xyz", "day of week", 9],
	])("refuses %s, naming the %s field at column %i", (cron, field, position) => {
		const parsed = parseTiming({ cron });
		expect(parsed.ok).toBe(false);
		if (!parsed.ok) expect(parsed.error).toMatchObject({ field, position });
	});

	it.each([
		[{ cron: "* * * *" }, "five fields"],
		[{ cron: "0 0 0 * * *" }, "five fields"],
		[{ cron: "0 0 31 2 *" }, "never fires"],
		[{ every: "30s" }, "at least 1m"],
		[{ every: "soon" }, "duration"],
		[{}, "exactly one"],
		[{ every: "1h", cron: "0 * * * *" }, "exactly one"],
		[{ cron: "0 9 * * *", timezone: "Mars/Base" }, "time zone"],
	])("refuses %j (%s)", (input, message) => {
		const parsed = parseTiming(input);
		expect(parsed.ok).toBe(false);
		if (!parsed.ok) expect(parsed.error.message).toContain(message);
	});

	it("aligns `every` slots to the epoch, strictly after the given time", () => {
		const every30 = timing({ every: "30m" });
		expect(iso(nextSlot(every30, at("2026-11-24T10:07:00Z")))).toBe("2026-11-24T10:30:00.000Z");
		expect(iso(nextSlot(every30, at("2026-11-24T10:30:00Z")))).toBe("2026-11-24T11:00:00.000Z");
	});

	it("reads cron in the schedule's time zone", () => {
		const weekdays9 = timing({ cron: "0 9 * * 1-5", timezone: "Europe/Paris" });
		// Friday 2026-11-27 10:00 in Paris → next is Monday 09:00 Paris (08:00 UTC in winter).
		expect(iso(nextSlot(weekdays9, at("2026-11-27T09:00:00Z")))).toBe("2026-11-30T08:00:00.000Z");
	});

	it("handles DST: a time skipped in spring runs once, right after; a repeated one in autumn runs once", () => {
		const nightly = timing({ cron: "30 2 * * *", timezone: "Europe/Paris" });
		// 2026-03-29: 02:00 → 03:00 in Paris, 02:30 doesn't exist.
		const spring = nextSlot(nightly, at("2026-03-28T12:00:00Z"));
		expect(iso(spring)).toBe("2026-03-29T01:00:00.000Z"); // 03:00 CEST
		expect(iso(nextSlot(nightly, spring as number))).toBe("2026-03-30T00:30:00.000Z");
		// 2026-10-25: 03:00 → 02:00, 02:30 happens twice; it runs at the first.
		const autumn = nextSlot(nightly, at("2026-10-24T12:00:00Z"));
		expect(iso(autumn)).toBe("2026-10-25T00:30:00.000Z");
		expect(iso(nextSlot(nightly, autumn as number))).toBe("2026-10-26T01:30:00.000Z");
	});
});

describe("due slots", () => {
	const everyMinute = timing({ every: "1m" });

	it("is not due before its time", () => {
		expect(dueRun(everyMinute, at("2026-11-24T10:01:00Z"), at("2026-11-24T10:00:59Z"))).toEqual({ run: false });
		expect(dueRun(everyMinute, null, at("2026-11-24T10:00:59Z"))).toEqual({ run: false });
	});

	it("runs a slot at its time and moves to the next", () => {
		expect(dueRun(everyMinute, at("2026-11-24T10:01:00Z"), at("2026-11-24T10:01:00Z"))).toEqual({
			run: true,
			slot: at("2026-11-24T10:01:00Z"),
			next: at("2026-11-24T10:02:00Z"),
			skipped: 0,
		});
	});

	it("runs once for a late tick (downtime), not once per missed slot", () => {
		const due = dueRun(everyMinute, at("2026-11-24T10:01:00Z"), at("2026-11-24T10:47:30Z"));
		expect(due).toEqual({ run: true, slot: at("2026-11-24T10:01:00Z"), next: at("2026-11-24T10:48:00Z"), skipped: 46 });
	});

	it("gives a doubled tick the same slot (the task's idempotency key)", () => {
		const first = dueRun(everyMinute, at("2026-11-24T10:01:00Z"), at("2026-11-24T10:01:02Z"));
		const second = dueRun(everyMinute, at("2026-11-24T10:01:00Z"), at("2026-11-24T10:01:05Z"));
		expect(first.run && second.run && first.slot === second.slot).toBe(true);
	});

	it("counts missed cron slots across a downtime", () => {
		const hourly = timing({ cron: "0 * * * *" });
		const due = dueRun(hourly, at("2026-11-24T01:00:00Z"), at("2026-11-24T05:30:00Z"));
		expect(due).toMatchObject({ run: true, skipped: 4, next: at("2026-11-24T06:00:00Z") });
	});
});

describe("dependency cycles", () => {
	it("finds none in a DAG", () => {
		expect(
			findCycle(
				new Map([
					["c", ["a", "b"]],
					["b", ["a"]],
					["a", []],
				]),
			),
		).toBeUndefined();
	});

	it("finds a cycle and names it", () => {
		expect(
			findCycle(
				new Map([
					["a", ["b"]],
					["b", ["c"]],
					["c", ["a"]],
				]),
			),
		).toEqual(["a", "b", "c", "a"]);
		expect(findCycle(new Map([["a", ["a"]]]))).toEqual(["a", "a"]);
	});
});
