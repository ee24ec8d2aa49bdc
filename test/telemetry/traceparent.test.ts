// W3C traceparent (src/telemetry/traceparent.ts): only a well-formed version-00 value is read;
// anything else is undefined, never a throw.
import { describe, expect, it } from "vitest";
import {
	formatTraceparent,
	isSampled,
	newSpanId,
	newTraceId,
	newTraceparent,
	parseTraceparent,
} from "../../src/telemetry/traceparent.ts";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT = "00f067aa0ba902b7";

describe("parseTraceparent", () => {
	it("reads the W3C example, sampled and not", () => {
		expect(parseTraceparent(`00-${TRACE}-${PARENT}-01`)).toEqual({ traceId: TRACE, parentId: PARENT, flags: 1 });
		const unsampled = parseTraceparent(`00-${TRACE}-${PARENT}-00`);
		expect(unsampled).toEqual({ traceId: TRACE, parentId: PARENT, flags: 0 });
		expect(unsampled && isSampled(unsampled)).toBe(false);
		// Surrounding whitespace, as an HTTP header value may carry (OWS).
		expect(parseTraceparent(`  00-${TRACE}-${PARENT}-01 `)?.traceId).toBe(TRACE);
	});

	it.each([
		["empty", ""],
		["all-zero trace id", `00-${"0".repeat(32)}-${PARENT}-01`],
		["all-zero parent id", `00-${TRACE}-${"0".repeat(16)}-01`],
		["another version", `01-${TRACE}-${PARENT}-01`],
		["the forbidden version ff", `ff-${TRACE}-${PARENT}-01`],
		["upper-case hex", `00-${TRACE.toUpperCase()}-${PARENT}-01`],
		["a short trace id", `00-${TRACE.slice(1)}-${PARENT}-01`],
		["a long parent id", `00-${TRACE}-${PARENT}0-01`],
		["a non-hex digit", `00-${TRACE.slice(0, 31)}g-${PARENT}-01`],
		["a one-digit flags field", `00-${TRACE}-${PARENT}-1`],
		["extra fields (only a later version may have them)", `00-${TRACE}-${PARENT}-01-extra`],
		["other separators", `00_${TRACE}_${PARENT}_01`],
		["a huge value", `00-${TRACE}-${PARENT}-01${" ".repeat(200)}x`],
	])("refuses %s", (_name, value) => {
		expect(parseTraceparent(value)).toBeUndefined();
	});

	it("refuses what is not a string, without throwing", () => {
		for (const value of [undefined, null, 42, {}, ["00"], Symbol("x")])
			expect(parseTraceparent(value as unknown)).toBeUndefined();
	});
});

describe("formatTraceparent and new ids", () => {
	it("writes what it reads", () => {
		for (const value of [`00-${TRACE}-${PARENT}-01`, `00-${TRACE}-${PARENT}-00`, `00-${TRACE}-${PARENT}-ff`]) {
			const parsed = parseTraceparent(value);
			expect(parsed && formatTraceparent(parsed)).toBe(value);
		}
		expect(formatTraceparent({ traceId: TRACE, parentId: PARENT, flags: 3 })).toBe(`00-${TRACE}-${PARENT}-03`);
	});

	it("makes random ids of the right size, and a valid sampled traceparent", () => {
		const traces = new Set(Array.from({ length: 50 }, newTraceId));
		expect(traces.size).toBe(50);
		for (const id of traces) expect(id).toMatch(/^[0-9a-f]{32}$/);
		expect(newSpanId()).toMatch(/^[0-9a-f]{16}$/);
		const fresh = parseTraceparent(newTraceparent());
		expect(fresh).toBeDefined();
		expect(fresh && isSampled(fresh)).toBe(true);
	});
});
