import { describe, expect, it } from "vitest";
import { orderOf } from "../../src/client/run-order.ts";
import { Timeline } from "../../src/client/timeline.ts";
import type { ChatMessage, ClientEvent, Task } from "../../src/protocol/index.ts";
import { clientEvent } from "../support/events.ts";
import { apiTask } from "../support/task-fixture.ts";

let seq = 0;
const ev = (fields: Record<string, unknown>): ClientEvent => {
	seq++;
	return clientEvent({ seq, id: `e${seq}`, ts: 1000 + seq, ...fields });
};

/** A whole little run of task `t1`: status, thought, a tool call, streamed answer, finish. */
function taskRun(): ClientEvent[] {
	seq = 0;
	const t = { task_id: "task_1", attempt: 1 };
	return [
		ev({
			type: "CUSTOM",
			name: "sparky.task.status",
			task_id: "task_1",
			value: { task_id: "task_1", kind: "task", status: "queued", attempt: 0, user_id: "u", instruction: "list files" },
		}),
		ev({
			type: "CUSTOM",
			name: "sparky.task.status",
			...t,
			value: { task_id: "task_1", kind: "task", status: "running", attempt: 1, user_id: "u" },
		}),
		ev({ type: "RUN_STARTED", ...t, threadId: "task_1", runId: "task_1:1", model: "demo" }),
		ev({ type: "REASONING_START", ...t, messageId: "th1" }),
		ev({ type: "REASONING_MESSAGE_START", ...t, messageId: "th1", role: "reasoning" }),
		ev({ type: "REASONING_MESSAGE_CONTENT", ...t, messageId: "th1", delta: "Let me " }),
		ev({ type: "REASONING_MESSAGE_CONTENT", ...t, messageId: "th1", delta: "look." }),
		ev({ type: "REASONING_MESSAGE_END", ...t, messageId: "th1" }),
		ev({ type: "REASONING_END", ...t, messageId: "th1" }),
		ev({ type: "TOOL_CALL_START", ...t, toolCallId: "c1", toolCallName: "list_files" }),
		ev({ type: "TOOL_CALL_ARGS", ...t, toolCallId: "c1", delta: '{"fol' }),
		ev({ type: "TOOL_CALL_ARGS", ...t, toolCallId: "c1", delta: 'der":"a"}' }),
		ev({ type: "TOOL_CALL_END", ...t, toolCallId: "c1" }),
		ev({ type: "TOOL_CALL_RESULT", ...t, toolCallId: "c1", messageId: "r1", content: '{"count":2}' }),
		ev({ type: "TEXT_MESSAGE_START", ...t, messageId: "m1", role: "assistant" }),
		ev({ type: "TEXT_MESSAGE_CONTENT", ...t, messageId: "m1", delta: "Two " }),
		ev({ type: "TEXT_MESSAGE_CONTENT", ...t, messageId: "m1", delta: "files." }),
		ev({ type: "TEXT_MESSAGE_END", ...t, messageId: "m1" }),
		ev({
			type: "RUN_FINISHED",
			...t,
			threadId: "task_1",
			runId: "task_1:1",
			outcome: { type: "success" },
			usage: [{ inputTokens: 10, outputTokens: 5 }],
		}),
		ev({
			type: "CUSTOM",
			name: "sparky.task.status",
			...t,
			value: { task_id: "task_1", kind: "task", status: "succeeded", attempt: 1, user_id: "u", result: "Two files." },
		}),
	];
}

const snapshot = (t: Timeline) => JSON.stringify(t.items("task:task_1"));

describe("Timeline (events in, timeline out)", () => {
	it("builds a run's timeline: run, thought, tool call with args and result, streamed answer", () => {
		const t = new Timeline();
		t.apply(taskRun());
		const items = t.items("task:task_1");
		expect(items.map((i) => i.kind)).toEqual(["run", "thought", "tool", "message"]);
		expect(items[0]).toMatchObject({ state: "succeeded", model: "demo", usage: { inputTokens: 10, outputTokens: 5 } });
		expect(items[1]).toMatchObject({ text: "Let me look.", streaming: false });
		expect(items[2]).toMatchObject({
			name: "list_files",
			args: '{"folder":"a"}',
			result: '{"count":2}',
			state: "done",
		});
		expect(items[3]).toMatchObject({ role: "assistant", text: "Two files.", streaming: false });
		expect(t.task("task_1")).toMatchObject({ status: "succeeded", instruction: "list files", result: "Two files." });
	});

	it("shows a message as streaming until its end arrives", () => {
		const t = new Timeline();
		t.apply(taskRun().slice(0, 16));
		expect(t.items("task:task_1").at(-1)).toMatchObject({ kind: "message", text: "Two ", streaming: true });
	});

	it("is idempotent: replay overlapping live changes nothing", () => {
		const events = taskRun();
		const once = new Timeline();
		once.apply(events);
		const twice = new Timeline();
		twice.apply(events.slice(0, 12));
		twice.apply(events.slice(5)); // a replay that overlaps what was already seen
		twice.apply(events);
		expect(snapshot(twice)).toBe(snapshot(once));
	});

	it("copes with out-of-order arrival: content before start, deltas reversed, statuses late", () => {
		const events = taskRun();
		const t = new Timeline();
		t.apply([...events].reverse());
		const items = t.items("task:task_1");
		expect(items.find((i) => i.kind === "message")).toMatchObject({ text: "Two files.", streaming: false });
		expect(items.find((i) => i.kind === "tool")).toMatchObject({ args: '{"folder":"a"}', state: "done" });
		// The queued status arrived last but is older: the task stays succeeded.
		expect(t.task("task_1")?.status).toBe("succeeded");
	});

	it("ignores unknown event types and CUSTOM names without losing the rest", () => {
		const t = new Timeline();
		seq = 100;
		t.apply([
			ev({ type: "STATE_DELTA", task_id: "task_1", delta: [] }),
			ev({ type: "CUSTOM", name: "someone.else", value: 1 }),
			ev({ type: "SOMETHING_NEW", task_id: "task_1" }),
			ev({ type: "TEXT_MESSAGE_CONTENT", task_id: "task_1", messageId: "m9", delta: "still here" }),
			ev({ type: "TEXT_MESSAGE_END", messageId: "m0" }), // belongs to nothing: no thread
		]);
		expect(t.unknownEvents).toBe(3);
		expect(t.items("task:task_1")).toEqual([expect.objectContaining({ kind: "message", text: "still here" })]);
	});

	it("marks a tool result that is an error value", () => {
		const t = new Timeline();
		seq = 200;
		t.apply([
			ev({ type: "TOOL_CALL_START", task_id: "task_2", toolCallId: "c9", toolCallName: "read_file" }),
			ev({
				type: "TOOL_CALL_RESULT",
				task_id: "task_2",
				toolCallId: "c9",
				messageId: "c9:result",
				content: '{"error":"no file"}',
			}),
		]);
		expect(t.items("task:task_2")[0]).toMatchObject({ state: "error", result: '{"error":"no file"}' });
	});

	it("counts a chat's new messages (not its events) as unread while it isn't open, and opening clears them", () => {
		const t = new Timeline();
		t.applyChats([{ id: "chat_a", user_id: "u", title: "A", created_at: 1, updated_at: 1 }]);
		t.open("chat:chat_b");
		seq = 300;
		t.apply([
			ev({ type: "TEXT_MESSAGE_START", chat_id: "chat_a", task_id: "turn_1", messageId: "u1", role: "user" }),
			ev({ type: "TEXT_MESSAGE_CONTENT", chat_id: "chat_a", task_id: "turn_1", messageId: "u1", delta: "hi" }),
			ev({ type: "TEXT_MESSAGE_END", chat_id: "chat_a", task_id: "turn_1", messageId: "u1" }),
			ev({ type: "TEXT_MESSAGE_START", chat_id: "chat_a", task_id: "turn_1", messageId: "a1", role: "assistant" }),
			ev({ type: "TEXT_MESSAGE_CONTENT", chat_id: "chat_a", task_id: "turn_1", messageId: "a1", delta: "hello" }),
			ev({ type: "TEXT_MESSAGE_CONTENT", chat_id: "chat_a", task_id: "turn_1", messageId: "a1", delta: " there" }),
		]);
		expect(t.chats()[0]?.unread).toBe(2);
		t.open("chat:chat_a");
		expect(t.chats()[0]?.unread).toBe(0);
	});

	it("lists background tasks only (not chat turns), newest first, filtered by status", () => {
		const t = new Timeline();
		seq = 400;
		const status = (task_id: string, kind: string, status: string, chat_id?: string) =>
			ev({
				type: "CUSTOM",
				name: "sparky.task.status",
				task_id,
				chat_id,
				value: { task_id, kind, status, attempt: 0, user_id: "u" },
			});
		t.apply([
			status("task_a", "task", "queued"),
			status("turn_b", "chat", "running", "chat_x"),
			status("task_c", "task", "failed"),
		]);
		expect(t.tasks().map((x) => x.id)).toEqual(["task_c", "task_a"]);
		expect(t.tasks("failed").map((x) => x.id)).toEqual(["task_c"]);
		expect(t.openTurns("chat_x").map((x) => x.id)).toEqual(["turn_b"]);
	});
});

describe("A task's status from the API and from the socket", () => {
	const taskAt = (status: Task["status"], updated_at: number): Task =>
		apiTask("task_s", { status, instruction: "go", user_id: "u", created_at: 5000, updated_at });

	const statusAt = (status: string, ts: number) =>
		clientEvent({
			seq: ts,
			id: `s${ts}${status}`,
			ts,
			type: "CUSTOM",
			name: "sparky.task.status",
			task_id: "task_s",
			value: { task_id: "task_s", kind: "task", status, attempt: 1, user_id: "u" },
		});

	it("keeps `running` when the POST's `queued` answer lands after it in the same millisecond", () => {
		const t = new Timeline();
		t.apply([statusAt("running", 5000)]);
		t.applyTasks([taskAt("queued", 5000)]);
		expect(t.task("task_s")?.status).toBe("running");
	});

	it("takes `running` at the same millisecond as the `queued` it has, and an older `queued` never", () => {
		const t = new Timeline();
		t.applyTasks([taskAt("queued", 5000)]);
		t.apply([statusAt("running", 5000)]);
		expect(t.task("task_s")?.status).toBe("running");
		t.applyTasks([taskAt("queued", 4999)]);
		expect(t.task("task_s")?.status).toBe("running");
		t.apply([statusAt("succeeded", 5001)]);
		expect(t.task("task_s")?.status).toBe("succeeded");
	});
});

describe("Timeline with chat history", () => {
	const row = (fields: Partial<ChatMessage> & Pick<ChatMessage, "id" | "role" | "content">): ChatMessage => ({
		chat_id: "chat_h",
		turn_id: "turn_1",
		tool_name: null,
		tool_args: null,
		created_at: 5000,
		ordinal: 0,
		...fields,
	});

	it("merges history with the live events of the same messages without doubling", () => {
		const t = new Timeline();
		seq = 500;
		const live = { chat_id: "chat_h", task_id: "turn_1" };
		t.apply([
			ev({ type: "TEXT_MESSAGE_START", ...live, messageId: "turn_1:user", role: "user" }),
			ev({ type: "TEXT_MESSAGE_CONTENT", ...live, messageId: "turn_1:user", delta: "hello" }),
			ev({ type: "TEXT_MESSAGE_END", ...live, messageId: "turn_1:user" }),
			ev({ type: "TEXT_MESSAGE_START", ...live, messageId: "a1", role: "assistant" }),
			ev({ type: "TEXT_MESSAGE_CONTENT", ...live, messageId: "a1", delta: "Hi th" }),
		]);
		t.applyHistory("chat_h", [
			row({ id: "turn_1:user", role: "user", content: "hello" }),
			row({ id: "a1", role: "assistant", content: "Hi there!", ordinal: 2 }),
		]);
		const items = t.items("chat:chat_h");
		expect(items.map((i) => [i.kind, (i as { text?: string }).text])).toEqual([
			["message", "hello"],
			["message", "Hi there!"],
		]);
		expect(items[1]).toMatchObject({ streaming: false });
	});

	it("orders turns by when they began, even when a message was sent while a turn ran", () => {
		const t = new Timeline();
		// Turn 2's message (sent at 6000) arrives live before turn 1's answer is written…
		seq = 600;
		t.apply([
			ev({
				type: "TEXT_MESSAGE_START",
				chat_id: "chat_h",
				task_id: "turn_2",
				messageId: "turn_2:user",
				role: "user",
				ts: 6000,
			}),
			ev({
				type: "TEXT_MESSAGE_CONTENT",
				chat_id: "chat_h",
				task_id: "turn_2",
				messageId: "turn_2:user",
				delta: "second",
				ts: 6000,
			}),
		]);
		// …and turn 1 (begun at 5000) comes from history.
		t.applyHistory("chat_h", [
			row({ id: "turn_1:user", role: "user", content: "first" }),
			row({ id: "c1", role: "tool", content: "{}", tool_name: "list_files", tool_args: "{}", ordinal: 1 }),
			row({ id: "a1", role: "assistant", content: "answer one", ordinal: 2 }),
		]);
		const texts = t
			.items("chat:chat_h")
			.map((i) => (i.kind === "tool" ? `tool:${i.name}` : (i as { text: string }).text));
		expect(texts).toEqual(["first", "tool:list_files", "answer one", "second"]);
	});

	it("forgets a deleted chat", () => {
		const t = new Timeline();
		const chat = { id: "chat_d", user_id: "u", title: "D", created_at: 1, updated_at: 1 };
		seq = 700;
		t.apply([ev({ type: "CUSTOM", name: "sparky.chat", chat_id: "chat_d", value: { action: "created", chat } })]);
		expect(t.chats().map((c) => c.id)).toEqual(["chat_d"]);
		t.apply([ev({ type: "CUSTOM", name: "sparky.chat", chat_id: "chat_d", value: { action: "deleted", chat } })]);
		expect(t.chats()).toEqual([]);
	});
});

describe("Timeline across hubs and after a reload", () => {
	/** A run's events as the relay makes them: ids `<task>:<attempt>:<n>`, the same on every hub. */
	const runEvent = (n: number, seqOnThisHub: number, fields: Record<string, unknown>): ClientEvent =>
		clientEvent({
			seq: seqOnThisHub,
			id: `task_x:1:${n}`,
			ts: 2000 + n,
			task_id: "task_x",
			attempt: 1,
			...fields,
		});
	const run = (seqBase: number) => [
		runEvent(1, seqBase + 1, { type: "RUN_STARTED", threadId: "task_x", runId: "task_x:1", model: "demo" }),
		runEvent(2, seqBase + 2, { type: "TOOL_CALL_START", toolCallId: "c1", toolCallName: "http_fetch" }),
		runEvent(3, seqBase + 3, { type: "TOOL_CALL_ARGS", toolCallId: "c1", delta: '{"url":' }),
		runEvent(4, seqBase + 4, { type: "TOOL_CALL_ARGS", toolCallId: "c1", delta: '"http://x"}' }),
		runEvent(5, seqBase + 5, { type: "TOOL_CALL_RESULT", toolCallId: "c1", messageId: "c1:result", content: "{}" }),
		runEvent(6, seqBase + 6, { type: "TEXT_MESSAGE_START", messageId: "m1", role: "assistant" }),
		runEvent(7, seqBase + 7, { type: "TEXT_MESSAGE_CONTENT", messageId: "m1", delta: "one " }),
		runEvent(8, seqBase + 8, { type: "TEXT_MESSAGE_CONTENT", messageId: "m1", delta: "two " }),
		runEvent(9, seqBase + 9, { type: "TEXT_MESSAGE_CONTENT", messageId: "m1", delta: "three" }),
		runEvent(10, seqBase + 10, { type: "TEXT_MESSAGE_END", messageId: "m1" }),
	];

	it("merges a run read from the creator's hub with live events from the viewer's hub in run order", () => {
		// The creator's hub numbers these events 900+, the viewer's (agent) hub 10+.
		const fromCreatorHub = run(900);
		const live = run(10);
		const merged = new Timeline();
		merged.apply(fromCreatorHub.slice(0, 8)); // HTTP history, read mid-run
		merged.apply(live.slice(5)); // live events that overlap it and go on
		const direct = new Timeline();
		direct.apply(live);
		expect(merged.items("task:task_x")).toEqual(direct.items("task:task_x"));
		expect(merged.items("task:task_x").map((i) => i.kind)).toEqual(["run", "tool", "message"]);
		expect(merged.items("task:task_x")[2]).toMatchObject({ text: "one two three", streaming: false });
		expect(merged.items("task:task_x")[1]).toMatchObject({ args: '{"url":"http://x"}' });
	});

	it("orders a retried run's events after the first attempt's", () => {
		const t = new Timeline();
		const e = (attempt: number, n: number, seq: number, fields: Record<string, unknown>) =>
			clientEvent({ seq, id: `task_r:${attempt}:${n}`, ts: 1, task_id: "task_r", attempt, ...fields });
		t.apply([
			e(2, 1, 5, { type: "RUN_STARTED", threadId: "task_r", runId: "task_r:2" }),
			e(1, 1, 90, { type: "RUN_STARTED", threadId: "task_r", runId: "task_r:1" }),
			e(1, 2, 91, { type: "RUN_ERROR", runId: "task_r:1", code: "retrying", message: "429" }),
		]);
		expect(t.items("task:task_r").map((i) => [i.id, i.kind === "run" && i.state])).toEqual([
			["task_r:1", "retrying"],
			["task_r:2", "running"],
		]);
	});

	it("keeps seq order for events whose ids are not run positions", () => {
		expect(orderOf({ seq: 7, id: "turn_1:user:start", task_id: "turn_1" })).toBe(7);
		expect(orderOf({ seq: 7, id: "task_a:1:x", task_id: "task_a", attempt: 1 })).toBe(7);
		expect(orderOf({ seq: 7, id: "task_b:1:3", task_id: "task_a", attempt: 1 })).toBe(7);
		expect(orderOf({ seq: 7, id: "task_a:1:3", task_id: "task_a", attempt: 1 })).toBeGreaterThan(2 ** 40);
	});

	it("learns a chat's unfinished turns from chat.history, without overriding newer statuses", () => {
		const t = new Timeline();
		seq = 800;
		t.apply([
			ev({
				type: "CUSTOM",
				name: "sparky.task.status",
				task_id: "turn_b",
				chat_id: "chat_t",
				value: { task_id: "turn_b", kind: "chat", status: "succeeded", attempt: 1, user_id: "u" },
			}),
		]);
		t.applyTurns("chat_t", [
			{ turn_id: "turn_a", status: "running", text: "first" },
			{ turn_id: "turn_b", status: "queued", text: "second (stale)" },
			{ turn_id: "turn_c", status: "queued", text: "third" },
			{ turn_id: "turn_d", status: "bogus", text: "ignored" },
		]);
		expect(t.openTurns("chat_t").map((x) => [x.id, x.status, x.instruction])).toEqual([
			["turn_a", "running", "first"],
			["turn_c", "queued", "third"],
		]);
		expect(t.tasks()).toEqual([]); // chat turns are not background tasks
		// A live status event later moves it on.
		t.apply([
			ev({
				type: "CUSTOM",
				name: "sparky.task.status",
				task_id: "turn_a",
				chat_id: "chat_t",
				value: { task_id: "turn_a", kind: "chat", status: "succeeded", attempt: 1, user_id: "u" },
			}),
		]);
		expect(t.openTurns("chat_t").map((x) => x.id)).toEqual(["turn_c"]);
	});
});
