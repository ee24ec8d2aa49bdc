import { describe, expect, it } from "vitest";
import type { TimelineItem } from "../../src/client/index.ts";
import { Timeline } from "../../src/client/timeline.ts";
import type { ClientEvent } from "../../src/protocol/index.ts";
import { foldAttempts } from "../../web/src/lib/attempts.ts";
import { turnEndings } from "../../web/src/lib/turn-ends.ts";
import { announcementFor } from "../../web/src/state/announce.ts";
import { Liveness, QUIET_MS, quietText } from "../../web/src/state/liveness.ts";
import { clientEvent } from "../support/events.ts";

type Run = Extract<TimelineItem, { kind: "run" }>;
const run = (id: string, state: Run["state"], turnId: string): TimelineItem => ({
	kind: "run",
	id,
	state,
	turnId,
	ts: 1,
});
const tool = (id: string, turnId: string, result?: string): TimelineItem => ({
	kind: "tool",
	id,
	name: "http_fetch",
	args: "{}",
	result,
	state: result === undefined ? "running" : "done",
	turnId,
	ts: 2,
});

describe("web: a task's attempts", () => {
	it("folds attempts that gave up, keeps the last one and paused ones inline", () => {
		const items = [
			run("task_a:1", "interrupted", "task_a"),
			tool("t1", "task_a"),
			run("task_a:2", "paused", "task_a"),
			tool("t2", "task_a", "{}"),
			run("task_a:3", "succeeded", "task_a"),
			tool("t3", "task_a", "{}"),
		];
		const blocks = foldAttempts(items);
		expect(blocks.map((b) => (b.kind === "item" ? b.item.id : `earlier:${b.attempt.run.id}`))).toEqual([
			"earlier:task_a:1",
			"task_a:2",
			"t2",
			"task_a:3",
			"t3",
		]);
		const first = blocks[0];
		expect(first?.kind === "earlier" && first.attempt.items.map((i) => i.id)).toEqual(["task_a:1", "t1"]);
	});

	it("never folds the last attempt, even a failed one", () => {
		const blocks = foldAttempts([run("task_b:1", "failed", "task_b"), tool("t1", "task_b")]);
		expect(blocks.every((b) => b.kind === "item")).toBe(true);
	});
});

describe("web: how a turn ended", () => {
	it("marks a stopped chat turn (its cut-off call and its last item), not a finished one", () => {
		const { endings, lastItem } = turnEndings([
			run("turn_a:1", "cancelled", "turn_a"),
			tool("t1", "turn_a"),
			run("turn_b:1", "succeeded", "turn_b"),
			run("task_c:1", "cancelled", "task_c"),
			run("task_d:1", "interrupted", "task_d"),
			run("task_d:2", "running", "task_d"),
		]);
		expect(endings.get("turn_a")).toBe("stopped");
		expect(lastItem.get("turn_a")).toBe("t1");
		expect(endings.has("turn_b")).toBe(false);
		expect(endings.get("task_c")).toBe("cancelled");
		// A later attempt runs: the earlier one's ending no longer says how it ended.
		expect(endings.has("task_d")).toBe(false);
	});
});

describe("web: quiet running threads", () => {
	it("says nothing for 10 s, then how long it has been quiet", () => {
		expect(quietText(undefined, 50_000)).toBe("");
		expect(quietText(1_000, 1_000 + QUIET_MS - 1)).toBe("");
		expect(quietText(1_000, 1_000 + QUIET_MS)).toBe("No activity for 10 s");
		expect(quietText(0, 185_000)).toBe("No activity for 3 min");
	});

	it("takes the latest of live events and item times", () => {
		const activity = new Liveness();
		const items = [tool("t1", "task_a", "{}")];
		expect(activity.lastOf("task:task_a", items)).toBe(2);
		activity.mark({ task_id: "task_a", chat_id: "chat_1" }, 500);
		expect(activity.lastOf("task:task_a", items)).toBe(500);
		expect(activity.lastOf("chat:chat_1", [])).toBe(500);
		expect(activity.lastOf("task:other", [])).toBeUndefined();
	});
});

describe("web: what the live region says", () => {
	let seq = 0;
	const ev = (fields: Record<string, unknown> & { type: string }): ClientEvent =>
		clientEvent({ seq: ++seq, id: `e${seq}`, ts: seq, ...fields });

	it("announces a finished answer in the open chat, not elsewhere", () => {
		const timeline = new Timeline();
		const events = [
			ev({ type: "TEXT_MESSAGE_START", messageId: "m1", role: "assistant", chat_id: "chat_1", task_id: "turn_1" }),
			ev({
				type: "TEXT_MESSAGE_CONTENT",
				messageId: "m1",
				delta: "It is 14:03.\nMore.",
				chat_id: "chat_1",
				task_id: "turn_1",
			}),
			ev({ type: "TEXT_MESSAGE_END", messageId: "m1", chat_id: "chat_1", task_id: "turn_1" }),
		];
		timeline.apply(events);
		const end = events[2] as ClientEvent;
		expect(announcementFor(end, timeline, { kind: "chat", id: "chat_1" })).toBe("Sparky answered: It is 14:03.");
		expect(announcementFor(end, timeline, { kind: "chat", id: "chat_2" })).toBeUndefined();
		expect(announcementFor(events[1] as ClientEvent, timeline, { kind: "chat", id: "chat_1" })).toBeUndefined();
	});

	it("announces the open task's end, a stopped answer and any approval waiting", () => {
		const timeline = new Timeline();
		const status = (status: string, extra: Record<string, unknown> = {}) =>
			ev({
				type: "CUSTOM",
				name: "sparky.task.status",
				task_id: "task_1",
				value: { task_id: "task_1", status, attempt: 1, user_id: "u", instruction: "Summarise README.md" },
				...extra,
			});
		const task = { kind: "task", id: "task_1" } as const;
		expect(announcementFor(status("succeeded"), timeline, task)).toBe("Task succeeded: Summarise README.md");
		expect(announcementFor(status("cancelled"), timeline, task)).toBe("Task was cancelled: Summarise README.md");
		expect(announcementFor(status("running"), timeline, task)).toBeUndefined();
		expect(announcementFor(status("succeeded"), timeline, { kind: "home" })).toBeUndefined();
		expect(announcementFor(status("cancelled", { chat_id: "chat_1" }), timeline, { kind: "chat", id: "chat_1" })).toBe(
			"The answer was stopped.",
		);
		const approval = ev({
			type: "CUSTOM",
			name: "sparky.approval.requested",
			value: {
				approval: {
					id: "apr_1",
					task_id: "task_9",
					chat_id: null,
					user_id: "u",
					tool_call_id: "task_9:1:c1",
					tool: "delete_file",
					input: {},
					status: "pending",
					requested_at: 1,
					expires_at: 2,
					decided_at: null,
					decided_by: null,
					reason: null,
				},
			},
		});
		expect(announcementFor(approval, timeline, { kind: "home" })).toBe(
			"Approval needed: delete_file waits for a decision.",
		);
	});
});
