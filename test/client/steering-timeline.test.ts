// A message steered into a running chat turn (issue #29): it shows inside that turn, where
// the run read it, and until then as pending (Timeline.pendingSteers).
import { describe, expect, it } from "vitest";
import { Timeline } from "../../src/client/timeline.ts";
import type { ChatMessage, ClientEvent } from "../../src/protocol/index.ts";
import { clientEvent } from "../support/events.ts";

const chat = { chat_id: "chat_a" };
let seq = 0;
/** A hub event; `n` makes it the run's n-th event (`turn_1:1:<n>`), as the runner names them. */
const ev = (fields: Record<string, unknown>, n?: number): ClientEvent => {
	seq++;
	const run = n === undefined ? {} : { task_id: "turn_1", attempt: 1, id: `turn_1:1:${n}` };
	return clientEvent({ seq, id: `e${seq}`, ts: 1000 + seq, ...chat, task_id: "turn_1", ...fields, ...run });
};
const said = (messageId: string, role: "user" | "assistant", text: string, n?: number) => [
	ev({ type: "TEXT_MESSAGE_START", messageId, role }, n),
	ev({ type: "TEXT_MESSAGE_CONTENT", messageId, delta: text }, n === undefined ? undefined : n + 1),
	ev({ type: "TEXT_MESSAGE_END", messageId }, n === undefined ? undefined : n + 2),
];

/** The turn: its user message (published when sent), then the run's events up to the tool's result. */
function runningTurn(): ClientEvent[] {
	seq = 0;
	return [
		...said("turn_1:user", "user", "List my files."),
		ev({ type: "RUN_STARTED", threadId: "chat_a", runId: "turn_1:1", model: "demo" }, 1),
		ev({ type: "TOOL_CALL_START", toolCallId: "turn_1:1:c1", toolCallName: "list_files" }, 2),
		ev({ type: "TOOL_CALL_END", toolCallId: "turn_1:1:c1" }, 3),
		ev({ type: "TOOL_CALL_RESULT", toolCallId: "turn_1:1:c1", messageId: "r1", content: "{}" }, 4),
	];
}

const steerId = "turn_1:steer:m_abc";
const shape = (t: Timeline) =>
	t.items("chat:chat_a").map((i) => `${i.kind}${i.kind === "message" ? `:${i.role}` : ""}:${i.turnId}`);

describe("a steered message", () => {
	it("shows inside the running turn, after the step it joined at and before the answer", () => {
		const t = new Timeline();
		t.apply(runningTurn());
		t.noteSteered("chat_a", { messageId: steerId, turnId: "turn_1", text: "By size.", ts: 2000 });
		expect(t.pendingSteers("chat_a").map((m) => m.text)).toEqual(["By size."]);
		// The run reads it between steps: its user-message events come among the run's own.
		t.apply([...said(steerId, "user", "By size.", 5), ...said("a1", "assistant", "Sorted by size.", 8)]);
		expect(shape(t)).toEqual([
			"message:user:turn_1",
			"run:turn_1",
			"tool:turn_1",
			"message:user:turn_1",
			"message:assistant:turn_1",
		]);
		const steered = t.items("chat:chat_a")[3];
		expect(steered).toMatchObject({ id: steerId, role: "user", text: "By size.", streaming: false });
		expect(t.pendingSteers("chat_a")).toEqual([]);
		// No new turn: the chat still has the one turn's items.
		expect(new Set(t.items("chat:chat_a").map((i) => i.turnId))).toEqual(new Set(["turn_1"]));
	});

	it("events replayed and the history page read afterwards keep it in place", () => {
		const t = new Timeline();
		const events = [
			...runningTurn(),
			...said(steerId, "user", "By size.", 5),
			...said("a1", "assistant", "Sorted.", 8),
		];
		t.apply(events);
		const row = (id: string, role: ChatMessage["role"], ordinal: number, content: string): ChatMessage => ({
			id,
			chat_id: "chat_a",
			turn_id: "turn_1",
			role,
			content,
			tool_name: role === "tool" ? "list_files" : null,
			tool_args: role === "tool" ? "{}" : null,
			created_at: 1001,
			ordinal,
		});
		t.applyHistory("chat_a", [
			row("turn_1:user", "user", 0, "List my files."),
			row("turn_1:1:c1", "tool", 1, "{}"),
			row(steerId, "user", 2, "By size."),
			row("a1", "assistant", 3, "Sorted."),
		]);
		t.apply(events); // replayed again: nothing changes
		expect(shape(t)).toEqual([
			"message:user:turn_1",
			"run:turn_1",
			"tool:turn_1",
			"message:user:turn_1",
			"message:assistant:turn_1",
		]);
		// From history alone (another tab, after the turn): the same order.
		const fresh = new Timeline();
		fresh.applyHistory("chat_a", [
			row("turn_1:user", "user", 0, "List my files."),
			row("turn_1:1:c1", "tool", 1, "{}"),
			row(steerId, "user", 2, "By size."),
			row("a1", "assistant", 3, "Sorted."),
		]);
		expect(shape(fresh)).toEqual([
			"message:user:turn_1",
			"tool:turn_1",
			"message:user:turn_1",
			"message:assistant:turn_1",
		]);
	});

	it("a turn that ended without reading it: it stays pending until the next turn shows it (same id)", () => {
		const t = new Timeline();
		t.apply(runningTurn());
		t.noteSteered("chat_a", { messageId: steerId, turnId: "turn_1", text: "By size.", ts: 2000 });
		t.noteSteered("chat_a", { messageId: steerId, turnId: "turn_1", text: "By size.", ts: 2000 });
		t.apply([ev({ type: "RUN_FINISHED", threadId: "chat_a", runId: "turn_1:1", outcome: { type: "success" } }, 5)]);
		expect(t.pendingSteers("chat_a")).toHaveLength(1);
		t.apply(said(steerId, "user", "By size.").map((e) => ({ ...e, task_id: "turn_2" })));
		expect(t.pendingSteers("chat_a")).toEqual([]);
		expect(t.items("chat:chat_a").find((i) => i.id === steerId)?.turnId).toBe("turn_2");
	});

	it("a chat's default policy is kept from the API's chat", () => {
		const t = new Timeline();
		t.applyChats([{ id: "chat_a", user_id: "u", title: "T", created_at: 1, updated_at: 1, policy: "steer" }]);
		expect(t.chats()[0]?.policy).toBe("steer");
		t.applyChats([{ id: "chat_a", user_id: "u", title: "T2", created_at: 1, updated_at: 2 }]);
		expect(t.chats()[0]).toMatchObject({ title: "T2", policy: "steer" });
	});
});
