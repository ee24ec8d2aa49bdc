import { describe, expect, it } from "vitest";
import { RunFollower } from "../../src/agui/events.ts";
import { parseServerFrame } from "../../src/client/parse.ts";
import { Timeline } from "../../src/client/timeline.ts";
import {
	CustomName,
	describeEventError,
	EventType,
	parseHubEvent,
	parseHubEvents,
	sparkyEvent,
	TypedHubEventSchema,
} from "../../src/protocol/index.ts";

const envelope = { seq: 7, id: "task_1:status:running:1", ts: 1000, task_id: "task_1", attempt: 1 };
const status = (value: Record<string, unknown>) => ({
	...envelope,
	type: "CUSTOM",
	name: "sparky.task.status",
	value,
});
const goodStatus = { task_id: "task_1", kind: "task", status: "running", attempt: 1, user_id: "u" };

describe("typed events: the union", () => {
	it("types a known custom event by its name: the value is read without a cast", () => {
		const parsed = parseHubEvent(status(goodStatus));
		expect(parsed.ok).toBe(true);
		if (!parsed.ok) return;
		const event = parsed.event;
		if (event.type !== EventType.CUSTOM || event.name !== CustomName.taskStatus) throw new Error("not a status");
		expect(event.value.status).toBe("running");
		expect(event.value.user_id).toBe("u");
	});

	it("keeps every field as it came (no field renamed or dropped at the event's level)", () => {
		const raw = { ...envelope, type: "RUN_STARTED", threadId: "task_1", runId: "task_1:1", model: "demo", extra: 1 };
		const parsed = TypedHubEventSchema.parse(raw);
		expect(parsed).toEqual(raw);
	});

	it("rejects a malformed custom value with a clear error naming the event and the field", () => {
		const parsed = TypedHubEventSchema.safeParse(status({ ...goodStatus, status: "paused" }));
		expect(parsed.success).toBe(false);
		if (parsed.success) return;
		const message = describeEventError(parsed.error, status({}));
		expect(message).toMatch(/^invalid CUSTOM sparky\.task\.status event: value\.status: /);
		expect(message).toContain("running");

		const missing = TypedHubEventSchema.safeParse(status({ status: "running" }));
		expect(missing.success).toBe(false);
		if (!missing.success) expect(describeEventError(missing.error, status({}))).toContain("value.task_id");

		const approval = TypedHubEventSchema.safeParse({
			...envelope,
			type: "CUSTOM",
			name: CustomName.approvalRequested,
			value: { approval: { id: "apr_1" } },
		});
		expect(approval.success).toBe(false);
		if (!approval.success)
			expect(describeEventError(approval.error, { type: "CUSTOM", name: CustomName.approvalRequested })).toContain(
				"value.approval.task_id",
			);
	});

	it("a client keeps a malformed known event as `unknown`, with the error, instead of failing", () => {
		const parsed = parseHubEvent(status({ ...goodStatus, status: "paused" }));
		expect(parsed).toMatchObject({
			ok: true,
			event: { type: "unknown", wireType: "CUSTOM", name: "sparky.task.status", seq: 7, task_id: "task_1" },
		});
		if (parsed.ok && parsed.event.type === "unknown") expect(parsed.event.error).toContain("value.status");
	});

	it("an unknown type or custom name is the `unknown` variant (forward compatibility), its envelope and raw kept", () => {
		const newType = { ...envelope, id: "n1", type: "SOMETHING_NEW", payload: { a: 1 } };
		const newName = { ...envelope, id: "n2", type: "CUSTOM", name: "sparky.future.thing", value: [1, 2] };
		const [a, b] = parseHubEvents([newType, newName]);
		expect(a).toEqual({ ...envelope, id: "n1", type: "unknown", wireType: "SOMETHING_NEW", raw: newType });
		expect(b).toEqual({
			...envelope,
			id: "n2",
			type: "unknown",
			wireType: "CUSTOM",
			name: "sparky.future.thing",
			raw: newName,
		});
	});

	it("only a broken envelope is refused (the event can't be ordered or deduplicated)", () => {
		expect(parseHubEvent({ type: "RUN_STARTED" }).ok).toBe(false);
		expect(parseHubEvent({ ...envelope, type: "lower" }).ok).toBe(false);
		expect(parseHubEvents([{ seq: 1 }, status(goodStatus)])).toHaveLength(1);
	});

	it("unknown events don't crash a client: the frame, the timeline and an AG-UI run go on", () => {
		const frame = parseServerFrame(
			JSON.stringify([
				{ ...envelope, seq: 1, id: "u1", type: "SOMETHING_NEW" },
				{ ...envelope, seq: 2, id: "u2", type: "CUSTOM", name: "someone.else", value: { x: 1 } },
				status({ ...goodStatus, status: "paused" }),
				{ ...envelope, seq: 4, id: "t1", type: "TEXT_MESSAGE_START", messageId: "m1", role: "assistant" },
				{ ...envelope, seq: 5, id: "t2", type: "TEXT_MESSAGE_CONTENT", messageId: "m1", delta: "still here" },
			]),
		);
		if ("error" in frame) throw new Error(frame.error);
		expect(frame.skipped).toEqual([]);
		const events = frame.items.flatMap((i) => (i.kind === "event" ? [i.event] : []));
		expect(events.map((e) => e.type)).toEqual([
			"unknown",
			"unknown",
			"unknown",
			"TEXT_MESSAGE_START",
			"TEXT_MESSAGE_CONTENT",
		]);
		const timeline = new Timeline();
		timeline.apply(events);
		expect(timeline.unknownEvents).toBe(3);
		expect(timeline.items("task:task_1")).toEqual([expect.objectContaining({ kind: "message", text: "still here" })]);

		// The AG-UI route's follower passes an unknown CUSTOM name on (AG-UI allows any) and drops a
		// type AG-UI itself doesn't know (its clients would reject it).
		const follower = new RunFollower({ threadId: "task_1", runId: "client-run", minAttempt: 1 });
		const out = [
			{ ...envelope, seq: 1, id: "u1", type: "SOMETHING_NEW" },
			{ ...envelope, seq: 2, id: "u2", type: "CUSTOM", name: "someone.else", value: { x: 1 } },
			{ ...envelope, seq: 3, id: "u3", type: "STEP_STARTED", stepName: "plan" },
		].flatMap((e) => follower.accept(e).events);
		expect(out).toEqual([
			{ type: "CUSTOM", name: "someone.else", value: { x: 1 }, timestamp: 1000 },
			{ type: "STEP_STARTED", stepName: "plan", timestamp: 1000 },
		]);
	});

	it("producers: a custom event's value is checked against its name at compile time", () => {
		const event = sparkyEvent(CustomName.mcpServers, { unavailable: [{ server: "s", reason: "down" }], partial: [] });
		expect(TypedHubEventSchema.safeParse({ ...envelope, ...event }).success).toBe(true);
		const chat = { id: "c", user_id: "u", title: "t", created_at: 1, updated_at: 1 };
		expect(sparkyEvent(CustomName.chat, { action: "created", chat }).value.chat).toBe(chat);
		// Never run: these lines are here for the type checker.
		const _wrong = () => [
			// @ts-expect-error a status that doesn't exist
			sparkyEvent(CustomName.taskStatus, { task_id: "t", status: "paused", attempt: 1, user_id: "u" }),
			// @ts-expect-error a misspelt field
			sparkyEvent(CustomName.chat, { action: "created", chat, chatt: 1 }),
			// @ts-expect-error the approval is missing
			sparkyEvent(CustomName.approvalDecided, {}),
		];
		expect(typeof _wrong).toBe("function");
	});
});
