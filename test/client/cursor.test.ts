import { describe, expect, it } from "vitest";
import { backoffDelay } from "../../src/client/backoff.ts";
import { EventCursor } from "../../src/client/cursor.ts";

describe("EventCursor", () => {
	it("accepts consecutive seqs and remembers the last", () => {
		const cursor = new EventCursor();
		expect([1, 2, 3].map((seq) => cursor.accept({ seq }).kind)).toEqual(["new", "new", "new"]);
		expect(cursor.lastSeq).toBe(3);
	});

	it("drops what it has already applied (replay overlapping live)", () => {
		const cursor = new EventCursor(5);
		expect(cursor.accept({ seq: 4 }).kind).toBe("duplicate");
		expect(cursor.accept({ seq: 5 }).kind).toBe("duplicate");
		expect(cursor.accept({ seq: 6 }).kind).toBe("new");
	});

	it("reports a gap with the seq it expected, without moving", () => {
		const cursor = new EventCursor(2);
		expect(cursor.accept({ seq: 5 })).toEqual({ kind: "gap", expected: 3 });
		expect(cursor.lastSeq).toBe(2);
	});

	it("rebases to just before the oldest seq the server still holds", () => {
		const cursor = new EventCursor(2);
		cursor.rebase(40);
		expect(cursor.lastSeq).toBe(39);
		expect(cursor.accept({ seq: 40 }).kind).toBe("new");
	});
});

describe("backoffDelay", () => {
	it("doubles up to the ceiling, with half of it jittered", () => {
		const low = (attempt: number) => backoffDelay(attempt, { baseMs: 100, maxMs: 1000, random: () => 0 });
		const high = (attempt: number) => backoffDelay(attempt, { baseMs: 100, maxMs: 1000, random: () => 0.999999 });
		expect([0, 1, 2, 3, 4, 5].map(low)).toEqual([50, 100, 200, 400, 500, 500]);
		expect([0, 1, 2, 3, 4, 5].map(high)).toEqual([100, 200, 400, 800, 1000, 1000]);
	});
});
