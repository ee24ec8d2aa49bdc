import { describe, expect, it } from "vitest";
import { historyToAgUiMessages, RunFollower, TaskStreamFramer, toAgUi } from "../../src/agui/events.ts";
import { BUILTIN_TOOL_NAMES, CustomName, EventType, type WireEvent } from "../../src/protocol/index.ts";
import { ALL_TOOLS } from "../../src/tools/registry.ts";
import { clientEvent } from "../support/events.ts";

let seq = 0;
const ev = (type: string, fields: Record<string, unknown> = {}): WireEvent => ({
	seq: ++seq,
	id: `e${seq}`,
	ts: 1000 + seq,
	type,
	task_id: "turn_a",
	chat_id: "t1",
	...fields,
});
const status = (s: string, attempt = 1) =>
	ev(EventType.CUSTOM, {
		name: CustomName.taskStatus,
		attempt,
		value: { task_id: "turn_a", status: s, attempt, user_id: "u" },
	});

describe("toAgUi", () => {
	it("drops Sparky's envelope and sets AG-UI's timestamp", () => {
		const out = toAgUi(
			clientEvent(ev(EventType.RUN_STARTED, { attempt: 1, model: "demo", threadId: "t1", runId: "turn_a:1" })),
		);
		expect(out).toEqual({ type: EventType.RUN_STARTED, threadId: "t1", runId: "turn_a:1", timestamp: out?.timestamp });
		expect(typeof out?.timestamp).toBe("number");
	});
});

describe("RunFollower", () => {
	const follow = (events: WireEvent[], minAttempt = 1) => {
		const f = new RunFollower({ threadId: "t1", runId: "client-run", minAttempt });
		return { f, out: events.flatMap((e) => f.accept(e).events) };
	};

	it("makes a retried turn one run: attempts and status changes are CUSTOM, the user's message is not echoed", () => {
		const { f, out } = follow([
			ev(EventType.TEXT_MESSAGE_START, { messageId: "u", role: "user" }),
			ev(EventType.TEXT_MESSAGE_CONTENT, { messageId: "u", delta: "hi" }),
			ev(EventType.TEXT_MESSAGE_END, { messageId: "u" }),
			status("queued", 0),
			ev(EventType.RUN_STARTED, { attempt: 1, threadId: "t1", runId: "turn_a:1" }),
			ev(EventType.TEXT_MESSAGE_START, { attempt: 1, messageId: "m1", role: "assistant" }),
			ev(EventType.RUN_ERROR, { attempt: 1, code: "retrying", message: "429" }),
			ev(EventType.RUN_STARTED, { attempt: 2, threadId: "t1", runId: "turn_a:2" }),
			ev(EventType.RUN_FINISHED, { attempt: 2, threadId: "t1", runId: "turn_a:2", outcome: { type: "success" } }),
			status("succeeded", 2),
		]);
		// (the queued status, attempt 0, is before this run's first attempt)
		expect(out.map((e) => (e.type === EventType.CUSTOM ? `CUSTOM ${e.name}` : e.type))).toEqual([
			`CUSTOM ${CustomName.attempt}`,
			EventType.TEXT_MESSAGE_START,
			EventType.TEXT_MESSAGE_END, // closed before the attempt's error
			`CUSTOM ${CustomName.attemptError}`,
			`CUSTOM ${CustomName.attempt}`,
			EventType.RUN_FINISHED,
		]);
		expect(out.at(-1)).toMatchObject({ threadId: "t1", runId: "client-run" });
		expect(f.done).toBe(true);
	});

	it("ignores earlier attempts' events and ends on a terminal status with no run event", () => {
		const { out } = follow(
			[ev(EventType.RUN_FINISHED, { attempt: 1, outcome: { type: "interrupt" } }), status("cancelled", 2)],
			2,
		);
		expect(out.map((e) => e.type)).toEqual([EventType.CUSTOM, EventType.RUN_FINISHED]);
		expect(out.at(-1)).toMatchObject({ outcome: { type: "cancelled" } });
	});

	it("states what was open again for a re-attached stream", () => {
		const { f } = follow([
			ev(EventType.REASONING_START, { attempt: 1, messageId: "r" }),
			ev(EventType.REASONING_MESSAGE_START, { attempt: 1, messageId: "r", role: "reasoning" }),
		]);
		expect(f.reopen().map((e) => e.type)).toEqual([EventType.REASONING_START, EventType.REASONING_MESSAGE_START]);
	});
});

describe("TaskStreamFramer", () => {
	it("holds what happens between runs and sends it inside the next one, in seq order with ids", () => {
		const framer = new TaskStreamFramer();
		const framed = [
			status("queued", 0),
			ev(EventType.RUN_STARTED, { attempt: 1 }),
			ev(EventType.RUN_FINISHED, { attempt: 1 }),
			status("succeeded"),
		].flatMap((e) => framer.accept(e));
		// The run start goes first (valid AG-UI) and, with events held, without an id.
		expect(framed.map((f) => [f.event.type, f.withId])).toEqual([
			[EventType.RUN_STARTED, false],
			[EventType.CUSTOM, true],
			[EventType.RUN_FINISHED, true],
		]);
	});

	it("sends the events held between runs in seq order; a resumed stream skips those it has", () => {
		const events = [
			status("awaiting_approval"),
			status("queued"),
			status("running", 2),
			ev(EventType.RUN_STARTED, { attempt: 2 }),
			ev(EventType.TEXT_MESSAGE_START, { attempt: 2 }),
		];
		const seqs = (framed: ReturnType<TaskStreamFramer["accept"]>) =>
			framed.map((f) => `${f.event.seq}${f.withId ? "" : "(no id)"}`);
		const [a, b, c, start, text] = events.map((e) => e.seq);
		const fresh = new TaskStreamFramer();
		expect(seqs(events.flatMap((e) => fresh.accept(e)))).toEqual([
			`${start}(no id)`,
			`${a}`,
			`${b}`,
			`${c}`,
			`${text}`,
		]);
		// As the route resumes: what came up to Last-Event-ID is replayed (its output dropped), then the rest.
		const resume = (since: number) => {
			const framer = new TaskStreamFramer();
			for (const e of events) if (e.seq <= since) framer.accept(e, true);
			return seqs(events.filter((e) => e.seq > since).flatMap((e) => framer.accept(e)));
		};
		// After the second held event: the run starts again (a new stream needs it), then only what is new.
		expect(resume(b as number)).toEqual([`${start}(no id)`, `${c}`, `${text}`]);
		// After all of them: the run start carries its id again.
		expect(resume(c as number)).toEqual([`${start}`, `${text}`]);
	});
});

describe("history as AG-UI messages", () => {
	it("gives the client its own ids back and splits tool rows into call and result", () => {
		const base = { chat_id: "t1", turn_id: "turn_a", tool_name: null, tool_args: null, created_at: 1 };
		const messages = historyToAgUiMessages("t1", [
			{ ...base, id: "t1:u1", role: "user", content: "hi", ordinal: 0 },
			{
				...base,
				id: "turn_a:1:call_1",
				role: "tool",
				content: "{}",
				tool_name: "current_time",
				tool_args: "{}",
				ordinal: 1,
			},
		]);
		expect(messages.map((m) => [m.id, m.role])).toEqual([
			["u1", "user"],
			["turn_a:1:call_1:call", "assistant"],
			["turn_a:1:call_1:result", "tool"],
		]);
	});
});

it("BUILTIN_TOOL_NAMES lists exactly Sparky's tools", () => {
	expect([...BUILTIN_TOOL_NAMES].sort()).toEqual(ALL_TOOLS.map((t) => t.name).sort());
});
