import { describe, expect, it } from "vitest";
import type { PublishEvent } from "../../src/protocol/index.ts";
import { MAX_MERGED_DELTA, mergeDeltas } from "../../src/relay/coalesce.ts";

const text = (delta: string, more: Record<string, unknown> = {}): PublishEvent =>
	({
		type: "TEXT_MESSAGE_CONTENT",
		id: `e${delta}`,
		ts: 1,
		task_id: "t",
		messageId: "m",
		delta,
		...more,
	}) as PublishEvent;

describe("mergeDeltas", () => {
	it("joins two deltas of one message into one event with the first's id and time", () => {
		expect(mergeDeltas(text("ab"), { ...text("cd"), ts: 9 })).toEqual({ ...text("ab"), delta: "abcd" });
		const args = (delta: string) => ({ type: "TOOL_CALL_ARGS", id: delta, toolCallId: "c", delta }) as PublishEvent;
		expect(mergeDeltas(args('{"a"'), args(":1}"))).toMatchObject({ delta: '{"a":1}', id: '{"a"' });
	});

	it("keeps apart what a reader tells apart: other messages, tasks, attempts, types, and long texts", () => {
		expect(mergeDeltas(text("a"), text("b", { messageId: "other" }))).toBeUndefined();
		expect(mergeDeltas(text("a"), text("b", { task_id: "u" }))).toBeUndefined();
		expect(mergeDeltas(text("a"), text("b", { attempt: 2 }))).toBeUndefined();
		expect(mergeDeltas(text("a"), { ...text("b"), type: "REASONING_MESSAGE_CONTENT" } as PublishEvent)).toBeUndefined();
		expect(mergeDeltas({ type: "CUSTOM", id: "x", name: "n", value: 1 } as PublishEvent, text("b"))).toBeUndefined();
		expect(mergeDeltas(text("a".repeat(MAX_MERGED_DELTA)), text("b"))).toBeUndefined();
	});
});
