import { describe, expect, it } from "vitest";
import type { PublishEvent } from "../../src/protocol/index.ts";
import { appendMerging, MAX_MERGED_DELTA, mergeDeltas } from "../../src/relay/coalesce.ts";

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

describe("appendMerging", () => {
	const never = () => false;

	it("merges a delta into its own stream's last waiting delta, past other tasks' events", () => {
		const queue: PublishEvent[] = [];
		appendMerging(queue, text("a"), never);
		appendMerging(queue, text("x", { task_id: "u" }), never);
		expect(appendMerging(queue, text("b"), never)).toBe(true);
		expect(queue.map((e) => [e.task_id, (e as { delta?: string }).delta])).toEqual([
			["t", "ab"],
			["u", "x"],
		]);
	});

	it("never past an event of its own stream, nor into a pinned one", () => {
		const queue: PublishEvent[] = [];
		appendMerging(queue, text("a"), never);
		appendMerging(queue, { type: "TEXT_MESSAGE_END", id: "end", task_id: "t", messageId: "m" } as PublishEvent, never);
		appendMerging(queue, text("x", { task_id: "u" }), never);
		expect(appendMerging(queue, text("b"), never)).toBe(false);
		expect(queue.map((e) => e.type)).toEqual([
			"TEXT_MESSAGE_CONTENT",
			"TEXT_MESSAGE_END",
			"TEXT_MESSAGE_CONTENT",
			"TEXT_MESSAGE_CONTENT",
		]);
		// Nor past an event of no task or chat (a notice).
		const noticed: PublishEvent[] = [];
		appendMerging(noticed, text("a"), never);
		appendMerging(noticed, { type: "CUSTOM", id: "n", name: "notice", value: 1 } as PublishEvent, never);
		expect(appendMerging(noticed, text("b"), never)).toBe(false);
		const carried = [text("c")];
		expect(appendMerging(carried, text("d"), (e) => e === carried[0])).toBe(false);
		expect(carried).toHaveLength(2);
	});
});
