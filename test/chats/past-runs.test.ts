import { describe, expect, it } from "vitest";
import { pastRunEvents, pastRuns } from "../../src/chats/past-runs.ts";
import type { ChatMessage, WireEvent } from "../../src/protocol/index.ts";

let seq = 0;
const ev = (type: string, fields: Record<string, unknown> = {}): WireEvent => ({
	seq: ++seq,
	id: `turn_a:1:${seq}`,
	ts: 1_000 + seq,
	type,
	task_id: "turn_a",
	attempt: 1,
	...fields,
});

const row = (id: string, turn: string | null, role: ChatMessage["role"] = "assistant"): ChatMessage => ({
	id,
	chat_id: "chat_1",
	turn_id: turn,
	role,
	content: "x",
	tool_name: null,
	tool_args: null,
	created_at: 1,
	ordinal: 1,
});

describe("pastRunEvents", () => {
	const run = [
		ev("RUN_STARTED", { runId: "turn_a:1" }),
		ev("REASONING_MESSAGE_START", { messageId: "r1" }),
		ev("REASONING_MESSAGE_CONTENT", { messageId: "r1", delta: "hmm" }),
		ev("REASONING_MESSAGE_END", { messageId: "r1" }),
		ev("TOOL_CALL_START", { toolCallId: "call_1", toolCallName: "list_files" }),
		ev("TOOL_CALL_ARGS", { toolCallId: "call_1", delta: "{}" }),
		ev("TOOL_CALL_RESULT", { toolCallId: "call_1", content: "x".repeat(5000) }),
		ev("TEXT_MESSAGE_START", { messageId: "m1", role: "assistant" }),
		ev("TEXT_MESSAGE_CONTENT", { messageId: "m1", delta: "hi" }),
		ev("TEXT_MESSAGE_START", { messageId: "m-empty", role: "assistant" }),
		ev("CUSTOM", { name: "sparky.task.status" }),
		ev("CUSTOM", { name: "sparky.memory.recalled", value: { ids: ["mem_1"], pinned: [] } }),
		ev("RUN_FINISHED", { runId: "turn_a:1", usage: [{ inputTokens: 5, outputTokens: 7 }] }),
	];

	it("keeps run lines, thoughts, memories used and the starts of rows the page has; drops texts and results", () => {
		const kept = pastRunEvents(run, new Set(["call_1", "m1"]));
		expect(kept.map((e) => e.type)).toEqual([
			"RUN_STARTED",
			"REASONING_MESSAGE_START",
			"REASONING_MESSAGE_CONTENT",
			"REASONING_MESSAGE_END",
			"TOOL_CALL_START",
			"TEXT_MESSAGE_START",
			"CUSTOM",
			"RUN_FINISHED",
		]);
		// The memories the turn was given stay (its line says so after a reload); its status changes don't.
		expect(kept.filter((e) => e.type === "CUSTOM").map((e) => e.name)).toEqual(["sparky.memory.recalled"]);
		// A message with no row (empty, dropped from history) would show as "writing…" forever.
		expect(kept.some((e) => e.messageId === "m-empty")).toBe(false);
	});

	it("reads each finished turn of the page once, never the running one", async () => {
		const read: string[] = [];
		const events = await pastRuns(
			[row("u1", "turn_a", "user"), row("m1", "turn_a"), row("u2", "turn_b", "user"), row("old", null)],
			"turn_b",
			(turnId) => {
				read.push(turnId);
				return run;
			},
		);
		expect(read).toEqual(["turn_a"]);
		expect(events.filter((e) => e.type === "TEXT_MESSAGE_START").map((e) => e.messageId)).toEqual(["m1"]);
	});
});
