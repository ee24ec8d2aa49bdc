import { EventSchemas } from "@ag-ui/core/schemas";
import type { TextStreamPart, ToolSet } from "ai";
import { describe, expect, it } from "vitest";
import { AgUiTranslator, RESULT_EVENT_CHARS } from "../../src/agent/ag-ui.ts";

type Part = TextStreamPart<ToolSet>;
const run = (parts: Partial<Part>[]) => {
	const translator = new AgUiTranslator("task_1:1");
	const events = parts.flatMap((p) => translator.translate(p as Part));
	return { events, rest: translator.closeAll() };
};

describe("AG-UI translation of AI SDK stream parts", () => {
	it("gives each text message its own id, even when the provider reuses ids across steps", () => {
		const { events } = run([
			{ type: "start-step" },
			{ type: "text-start", id: "0" },
			{ type: "text-delta", id: "0", text: "Hel" },
			{ type: "text-delta", id: "0", text: "lo" },
			{ type: "text-end", id: "0" },
			{ type: "start-step" },
			{ type: "text-start", id: "0" },
			{ type: "text-delta", id: "0", text: "again" },
			{ type: "text-end", id: "0" },
		]);
		expect(events.map((e) => e.type)).toEqual([
			"TEXT_MESSAGE_START",
			"TEXT_MESSAGE_CONTENT",
			"TEXT_MESSAGE_CONTENT",
			"TEXT_MESSAGE_END",
			"TEXT_MESSAGE_START",
			"TEXT_MESSAGE_CONTENT",
			"TEXT_MESSAGE_END",
		]);
		const ids = new Set(events.map((e) => ("messageId" in e ? e.messageId : undefined)));
		expect(ids.size).toBe(2);
		for (const e of events) expect(EventSchemas.safeParse(e).success).toBe(true);
	});

	it("maps reasoning to REASONING_* events", () => {
		const { events } = run([
			{ type: "reasoning-start", id: "r" },
			{ type: "reasoning-delta", id: "r", text: "thinking" },
			{ type: "reasoning-end", id: "r" },
		]);
		expect(events.map((e) => e.type)).toEqual([
			"REASONING_START",
			"REASONING_MESSAGE_START",
			"REASONING_MESSAGE_CONTENT",
			"REASONING_MESSAGE_END",
			"REASONING_END",
		]);
		for (const e of events) expect(EventSchemas.safeParse(e).success).toBe(true);
	});

	it("streams tool arguments, then the result", () => {
		const { events } = run([
			{ type: "tool-input-start", id: "c1", toolName: "read_file" },
			{ type: "tool-input-delta", id: "c1", delta: '{"path":' },
			{ type: "tool-input-delta", id: "c1", delta: '"a.md"}' },
			{ type: "tool-input-end", id: "c1" },
			{ type: "tool-call", toolCallId: "c1", toolName: "read_file", input: { path: "a.md" } },
			{ type: "tool-result", toolCallId: "c1", toolName: "read_file", input: {}, output: { content: "hi" } },
		]);
		expect(events.map((e) => e.type)).toEqual([
			"TOOL_CALL_START",
			"TOOL_CALL_ARGS",
			"TOOL_CALL_ARGS",
			"TOOL_CALL_END",
			"TOOL_CALL_RESULT",
		]);
		// Tool call ids are the provider's, namespaced by the run: unique across runs.
		expect(new Set(events.map((e) => ("toolCallId" in e ? e.toolCallId : undefined)))).toEqual(
			new Set(["task_1:1:c1"]),
		);
		expect(events.at(-1)).toMatchObject({ content: '{"content":"hi"}', role: "tool", messageId: "task_1:1:c1:result" });
		for (const e of events) expect(EventSchemas.safeParse(e).success).toBe(true);
	});

	it("synthesises START/ARGS/END for providers that send a whole tool call at once", () => {
		const { events } = run([{ type: "tool-call", toolCallId: "c2", toolName: "list_files", input: {} }]);
		expect(events).toEqual([
			{ type: "TOOL_CALL_START", toolCallId: "task_1:1:c2", toolCallName: "list_files" },
			{ type: "TOOL_CALL_ARGS", toolCallId: "task_1:1:c2", delta: "{}" },
			{ type: "TOOL_CALL_END", toolCallId: "task_1:1:c2" },
		]);
	});

	it("turns a tool error into a result the reader can see, and caps huge results", () => {
		const { events } = run([
			{ type: "tool-error", toolCallId: "c3", toolName: "x", input: {}, error: new Error("bad input") },
			{ type: "tool-result", toolCallId: "c4", toolName: "x", input: {}, output: "y".repeat(RESULT_EVENT_CHARS + 10) },
		]);
		expect(events[0]).toMatchObject({ type: "TOOL_CALL_RESULT", content: '{"error":"bad input"}' });
		const last = events[1];
		const content = last && "content" in last ? last.content : undefined;
		expect(String(content).length).toBeLessThan(RESULT_EVENT_CHARS + 20);
		expect(String(content)).toMatch(/truncated\]$/);
	});

	it("closes whatever a cut-short run left open", () => {
		const { rest } = run([
			{ type: "text-start", id: "t" },
			{ type: "text-delta", id: "t", text: "half" },
			{ type: "reasoning-start", id: "r" },
			{ type: "tool-input-start", id: "c5", toolName: "x" },
		]);
		expect(rest.map((e) => e.type)).toEqual([
			"TEXT_MESSAGE_END",
			"REASONING_MESSAGE_END",
			"REASONING_END",
			"TOOL_CALL_END",
		]);
	});
});
