import { describe, expect, it } from "vitest";
import { Timeline } from "../../src/client/timeline.ts";
import type { ClientEvent } from "../../src/protocol/index.ts";
import { clientEvent } from "../support/events.ts";

let seq = 0;
const ev = (fields: Record<string, unknown>): ClientEvent => {
	seq++;
	return clientEvent({ seq, id: `m${seq}`, ts: 1000 + seq, ...fields });
};

/** A chat turn's run (attempt 1) that was given two memories, one of them pinned. */
function recalledRun(chat = "chat_1", turn = "turn_1"): ClientEvent[] {
	const t = { task_id: turn, chat_id: chat, attempt: 1 };
	return [
		ev({ type: "RUN_STARTED", ...t, threadId: chat, runId: `${turn}:1`, model: "demo" }),
		ev({ type: "CUSTOM", name: "sparky.memory.recalled", ...t, value: { ids: ["mem_a", "mem_b"], pinned: ["mem_a"] } }),
		ev({ type: "RUN_FINISHED", ...t, threadId: chat, runId: `${turn}:1`, outcome: { type: "success" } }),
	];
}

describe("Timeline: the memories a run used", () => {
	it("puts them on the run's line", () => {
		const t = new Timeline();
		t.apply(recalledRun());
		const run = t.items("chat:chat_1").find((i) => i.kind === "run");
		expect(run).toMatchObject({
			id: "turn_1:1",
			state: "succeeded",
			memories: { ids: ["mem_a", "mem_b"], pinned: ["mem_a"] },
		});
	});

	it("keeps them when they arrive before the run's start, and makes no run line of their own", () => {
		const t = new Timeline();
		const [start, recalled, finish] = recalledRun("chat_2", "turn_2");
		if (!start || !recalled || !finish) throw new Error("fixture");
		t.apply([recalled]);
		expect(t.items("chat:chat_2")).toEqual([]);
		t.apply([finish, start]);
		const runs = t.items("chat:chat_2").filter((i) => i.kind === "run");
		expect(runs).toHaveLength(1);
		expect(runs[0]).toMatchObject({ id: "turn_2:1", memories: { ids: ["mem_a", "mem_b"] } });
	});

	it("belongs to its attempt: a retry that recalled nothing shows none", () => {
		const t = new Timeline();
		const base = { task_id: "task_9", attempt: 1 };
		t.apply([
			ev({ type: "RUN_STARTED", ...base, threadId: "task_9", runId: "task_9:1" }),
			ev({ type: "CUSTOM", name: "sparky.memory.recalled", ...base, value: { ids: ["mem_x"], pinned: [] } }),
			ev({ type: "RUN_ERROR", ...base, message: "boom", code: "retrying" }),
			ev({ type: "RUN_STARTED", task_id: "task_9", attempt: 2, threadId: "task_9", runId: "task_9:2" }),
		]);
		const runs = t.items("task:task_9").filter((i) => i.kind === "run");
		expect(runs.map((r) => (r.kind === "run" ? [r.id, r.memories?.ids] : []))).toEqual([
			["task_9:1", ["mem_x"]],
			["task_9:2", undefined],
		]);
	});
});

describe("Timeline: a chat's summaries of its older turns", () => {
	const compacted = (chat: string, id: string, turns: number, through: string) =>
		ev({
			type: "CUSTOM",
			name: "sparky.context.compacted",
			chat_id: chat,
			task_id: "turn_z",
			attempt: 1,
			value: { summary_id: id, turns, through_turn_id: through },
		});

	it("knows one from its event, and its text once the API gives it (in either order)", () => {
		const t = new Timeline();
		t.apply([compacted("chat_s", "sum_1", 12, "turn_12")]);
		expect(t.summaries("chat_s")).toEqual([{ id: "sum_1", turns: 12, throughTurnId: "turn_12" }]);
		const stored = {
			id: "sum_1",
			chat_id: "chat_s",
			through_turn_id: "turn_12",
			through_created_at: 5,
			content: "The user likes teal.",
			turns: 12,
			model: "demo",
			created_at: 6,
		};
		t.applySummaries("chat_s", [stored]);
		expect(t.summaries("chat_s")).toEqual([
			{ id: "sum_1", turns: 12, throughTurnId: "turn_12", content: "The user likes teal.", createdAt: 6 },
		]);
		// A replayed event afterwards keeps the text.
		t.apply([compacted("chat_s", "sum_1", 12, "turn_12")]);
		expect(t.summaries("chat_s")[0]?.content).toBe("The user likes teal.");
		// A later compaction covers more turns: oldest first.
		t.apply([compacted("chat_s", "sum_2", 30, "turn_30")]);
		expect(t.summaries("chat_s").map((s) => s.id)).toEqual(["sum_1", "sum_2"]);
		expect(t.summaries("chat_other")).toEqual([]);
	});

	it("forgets them with the chat", () => {
		const t = new Timeline();
		t.apply([compacted("chat_d", "sum_d", 3, "turn_3")]);
		const chat = { id: "chat_d", user_id: "u", title: "x", created_at: 1, updated_at: 1 };
		t.apply([ev({ type: "CUSTOM", name: "sparky.chat", chat_id: "chat_d", value: { action: "deleted", chat } })]);
		expect(t.summaries("chat_d")).toEqual([]);
	});
});
