import { describe, expect, it } from "vitest";
import { type ClientItem, parseServerFrame } from "../../src/client/parse.ts";
import { ClientFrameSchema, PublishBatchSchema, parseDuration } from "../../src/protocol/index.ts";

describe("client frames", () => {
	it.each([
		[{ type: "ping" }],
		[{ type: "ping", id: "a1" }],
		[{ type: "resume", since: 0 }],
		[{ type: "resume", since: 42, id: "r" }],
	])("accepts %j", (frame) => {
		expect(ClientFrameSchema.safeParse(frame).success).toBe(true);
	});

	it.each([
		[{ type: "pong" }],
		[{ type: "ping", extra: 1 }],
		[{ type: "resume" }],
		[{ type: "resume", since: 1.5 }],
		[{ type: "ping", id: "x".repeat(65) }],
		[null],
		["ping"],
	])("refuses %j", (frame) => {
		expect(ClientFrameSchema.safeParse(frame).success).toBe(false);
	});
});

/** What an item is: a control message's type, an event's type as it arrived. */
const kindOf = (i: ClientItem) =>
	i.kind === "control" ? i.message.type : i.event.type === "unknown" ? i.event.wireType : i.event.type;

describe("server frames", () => {
	it("parses events and control messages from one frame", () => {
		const parsed = parseServerFrame(
			JSON.stringify([
				{ type: "session", session_id: "s", user_id: "u", resumed: false, last_seq: 0, oldest_seq: 1, expires_at: 1 },
				{ seq: 1, id: "e1", ts: 1, type: "CUSTOM", name: "n", value: 1 },
			]),
		);
		expect("items" in parsed && parsed.items.map(kindOf)).toEqual(["session", "CUSTOM"]);
	});

	it.each([["not json"], ["[]"], ['{"seq":1}']])("refuses the frame %s", (raw) => {
		expect("error" in parseServerFrame(raw)).toBe(true);
	});

	it("skips only the items it can't read", () => {
		const parsed = parseServerFrame(
			JSON.stringify([{ type: "CUSTOM" }, { seq: 2, id: "e", ts: 1, type: "CUSTOM" }, { seq: "3" }]),
		);
		expect("items" in parsed && parsed.items.map(kindOf)).toEqual(["CUSTOM"]);
		expect("skipped" in parsed && parsed.skipped.map((s) => s.index)).toEqual([0, 2]);
	});
});

describe("publish batches", () => {
	it("keeps AG-UI fields and refuses lower-case types", () => {
		const ok = PublishBatchSchema.safeParse([{ type: "TOOL_CALL_START", toolCallId: "t", toolCallName: "x" }]);
		expect(ok.success && ok.data[0]?.toolCallName).toBe("x");
		expect(PublishBatchSchema.safeParse([{ type: "session" }]).success).toBe(false);
	});
});

describe("parseDuration", () => {
	it.each([
		["90s", 90_000],
		["30m", 1_800_000],
		["12h", 43_200_000],
		["7d", 604_800_000],
		["1h30m", 5_400_000],
	])("reads %s", (text, ms) => {
		expect(parseDuration(text)).toBe(ms);
	});

	it.each([["soon"], [""], ["10"], ["-5m"], ["0s"], ["5 m"]])("refuses %j", (text) => {
		expect(parseDuration(text)).toBeUndefined();
	});
});
