// A call's events grouped by thread: fewer log rows, nothing of one chat or task reordered.
import { describe, expect, it } from "vitest";
import type { PublishEvent } from "../../src/protocol/index.ts";
import { groupedByThread } from "../../src/relay/relay.ts";

const ev = (id: string, thread: { task_id?: string; chat_id?: string } = {}): PublishEvent =>
	({ type: "CUSTOM", name: "test", id, ...thread }) as PublishEvent;

describe("groupedByThread", () => {
	it("groups interleaved runs by task, each in emitted order, groups by first appearance", () => {
		const events = [
			ev("a1", { task_id: "a" }),
			ev("b1", { task_id: "b" }),
			ev("a2", { task_id: "a" }),
			ev("n1"),
			ev("c1", { task_id: "c" }),
			ev("b2", { task_id: "b" }),
			ev("a3", { task_id: "a" }),
		];
		expect(groupedByThread(events).map((e) => e.id)).toEqual(["a1", "a2", "a3", "b1", "b2", "n1", "c1"]);
	});

	it("keeps a chat's turns in their order (grouped by chat, not by turn)", () => {
		const events = [
			ev("t1-1", { task_id: "t1", chat_id: "x" }),
			ev("o-1", { task_id: "o" }),
			ev("t2-1", { task_id: "t2", chat_id: "x" }),
			ev("t1-2", { task_id: "t1", chat_id: "x" }),
		];
		expect(groupedByThread(events).map((e) => e.id)).toEqual(["t1-1", "t2-1", "t1-2", "o-1"]);
	});

	it("returns one thread's events as they are", () => {
		const events = [ev("1", { task_id: "a" }), ev("2", { task_id: "a" })];
		expect(groupedByThread(events)).toBe(events);
	});
});
