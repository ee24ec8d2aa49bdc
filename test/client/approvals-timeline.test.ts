import { describe, expect, it } from "vitest";
import { Timeline } from "../../src/client/timeline.ts";
import type { Approval, ClientEvent } from "../../src/protocol/index.ts";
import { clientEvent } from "../support/events.ts";

let seq = 0;
const ev = (fields: Record<string, unknown>): ClientEvent => {
	seq++;
	return clientEvent({ seq, id: `x${seq}`, ts: 5000 + seq, ...fields });
};

const EXPIRES = 5000 + 24 * 3_600_000;
const approval = (over: Partial<Approval> = {}): Approval => ({
	id: "apr_1",
	task_id: "task_a",
	chat_id: null,
	user_id: "u1",
	tool_call_id: "task_a:1:4",
	tool: "delete_file",
	input: { path: "README.md" },
	status: "pending",
	requested_at: 5010,
	expires_at: EXPIRES,
	decided_at: null,
	decided_by: null,
	reason: null,
	...over,
});

/** Attempt 1 of `task_a` pausing at delete_file, as the runner emits it. */
function pausedRun(): ClientEvent[] {
	seq = 0;
	const t = { task_id: "task_a", attempt: 1 };
	return [
		ev({ type: "RUN_STARTED", ...t, id: "task_a:1:1", threadId: "task_a", runId: "task_a:1", model: "demo" }),
		ev({ type: "TOOL_CALL_START", ...t, id: "task_a:1:2", toolCallId: "task_a:1:4", toolCallName: "delete_file" }),
		ev({ type: "TOOL_CALL_ARGS", ...t, id: "task_a:1:3", toolCallId: "task_a:1:4", delta: '{"path":"README.md"}' }),
		ev({ type: "TOOL_CALL_END", ...t, id: "task_a:1:4", toolCallId: "task_a:1:4" }),
		ev({
			type: "CUSTOM",
			...t,
			id: "apr_1:requested",
			name: "sparky.approval.requested",
			value: { approval: approval() },
		}),
		ev({
			type: "RUN_FINISHED",
			...t,
			id: "task_a:1:5",
			threadId: "task_a",
			runId: "task_a:1",
			outcome: {
				type: "interrupt",
				interrupts: [
					{
						id: "apr_1",
						reason: "tool_approval",
						toolCallId: "task_a:1:4",
						message: "delete_file needs your approval before it runs",
						expiresAt: new Date(EXPIRES).toISOString(),
					},
				],
			},
		}),
		ev({
			type: "CUSTOM",
			...t,
			name: "sparky.task.status",
			value: { task_id: "task_a", kind: "task", status: "awaiting_approval", attempt: 1, user_id: "u1" },
		}),
	];
}

const decided = (status: Approval["status"], extra: Partial<Approval> = {}) =>
	ev({
		type: "CUSTOM",
		task_id: "task_a",
		id: `apr_1:${status}`,
		name: "sparky.approval.decided",
		value: {
			approval: approval({
				status,
				decided_at: 9000,
				decided_by: status === "expired" ? null : "u1",
				...extra,
			}),
		},
	});

const run = (t: Timeline, id = "task_a:1") => t.items("task:task_a").find((i) => i.id === id);

describe("Timeline: approvals and interrupted attempts", () => {
	it("a run that ended with an interrupt waits for approval, with the approval attached", () => {
		const t = new Timeline();
		t.apply(pausedRun());
		expect(run(t)).toMatchObject({
			kind: "run",
			state: "awaiting_approval",
			approvals: [
				{
					id: "apr_1",
					tool: "delete_file",
					input: { path: "README.md" },
					status: "pending",
					expiresAt: EXPIRES,
					toolCallId: "task_a:1:4",
					message: "delete_file needs your approval before it runs",
				},
			],
		});
		const tool = t.items("task:task_a").find((i) => i.kind === "tool");
		expect(tool).toMatchObject({ name: "delete_file", approval: { id: "apr_1", status: "pending" } });
		expect(t.task("task_a")?.status).toBe("awaiting_approval");
		expect(t.pendingApprovals().map((a) => a.id)).toEqual(["apr_1"]);
		expect(t.waitsForApproval("task", "task_a")).toBe(true);
	});

	it("only the interrupt outcome (no requested event) is enough: tool and input come from the call", () => {
		const t = new Timeline();
		t.apply(pausedRun().filter((e) => e.name !== "sparky.approval.requested"));
		expect(run(t)).toMatchObject({
			state: "awaiting_approval",
			approvals: [{ id: "apr_1", tool: "delete_file", input: { path: "README.md" }, status: "pending" }],
		});
	});

	it("a decision updates the run and the call: approved by whom, denied with a reason, expired", () => {
		for (const [status, extra, expected] of [
			["approved", {}, { status: "approved", decidedBy: "u1", decidedAt: 9000 }],
			["denied", { reason: "keep it" }, { status: "denied", decidedBy: "u1", reason: "keep it" }],
			["expired", {}, { status: "expired", decidedBy: undefined }],
		] as const) {
			const t = new Timeline();
			t.apply([...pausedRun(), decided(status, extra)]);
			expect(run(t)).toMatchObject({ state: "paused", approvals: [expected] });
			expect(t.items("task:task_a").find((i) => i.kind === "tool")).toMatchObject({ approval: expected });
			expect(t.pendingApprovals()).toEqual([]);
		}
	});

	it("the decision wins whatever the order (replay after live, API view after events)", () => {
		const events = [...pausedRun(), decided("denied", { reason: "no" })];
		const forward = new Timeline();
		forward.apply(events);
		const backward = new Timeline();
		backward.apply([...events].reverse());
		// A stale view from the API (still pending) changes nothing.
		backward.applyApprovals([approval()]);
		forward.applyApprovals([approval()]);
		expect(backward.items("task:task_a").find((i) => i.kind === "run")).toEqual(
			forward.items("task:task_a").find((i) => i.kind === "run"),
		);
		expect(run(backward)).toMatchObject({ state: "paused", approvals: [{ status: "denied", reason: "no" }] });
		expect(backward.pendingApprovals()).toEqual([]);
	});

	it("approvals from the API alone (GET /api/approvals) show which chats and tasks wait", () => {
		const t = new Timeline();
		t.applyApprovals([approval({ id: "apr_c", task_id: "turn_1", chat_id: "chat_1", tool_call_id: "turn_1:2:1" })]);
		expect(t.waitsForApproval("chat", "chat_1")).toBe(true);
		expect(t.waitsForApproval("chat", "chat_2")).toBe(false);
		expect(t.waitsForApproval("task", "turn_1")).toBe(true);
		expect(t.pendingApprovals({ chatId: "chat_1" }).map((a) => a.id)).toEqual(["apr_c"]);
		t.applyApprovals([approval({ id: "apr_c", task_id: "turn_1", chat_id: "chat_1", status: "approved" })]);
		expect(t.waitsForApproval("chat", "chat_1")).toBe(false);
	});

	it("an attempt closed with RUN_ERROR interrupted is interrupted, not a failure, and the next attempt runs", () => {
		seq = 100;
		const t = new Timeline();
		const a = { task_id: "task_a" };
		t.apply([
			ev({ type: "RUN_STARTED", ...a, attempt: 1, id: "task_a:1:1", threadId: "task_a", runId: "task_a:1" }),
			ev({
				type: "RUN_ERROR",
				...a,
				attempt: 1,
				id: "task_a:1:interrupted",
				code: "interrupted",
				message: "attempt 1 was interrupted: its runner stopped responding",
			}),
			ev({ type: "RUN_STARTED", ...a, attempt: 2, id: "task_a:2:1", threadId: "task_a", runId: "task_a:2" }),
		]);
		expect(run(t, "task_a:1")).toMatchObject({ state: "interrupted", code: "interrupted" });
		expect(run(t, "task_a:2")).toMatchObject({ state: "running" });
	});

	it("a run's real end wins over a late 'interrupted' in either order", () => {
		const start = () =>
			ev({
				type: "RUN_STARTED",
				task_id: "task_a",
				attempt: 1,
				id: "task_a:1:1",
				threadId: "task_a",
				runId: "task_a:1",
			});
		const finished = () =>
			ev({
				type: "RUN_FINISHED",
				task_id: "task_a",
				attempt: 1,
				id: "task_a:1:9",
				threadId: "task_a",
				runId: "task_a:1",
				outcome: { type: "success" },
			});
		const interrupted = () =>
			ev({
				type: "RUN_ERROR",
				task_id: "task_a",
				attempt: 1,
				id: "task_a:1:interrupted",
				code: "interrupted",
				message: "attempt 1 was interrupted",
			});
		const one = new Timeline();
		one.apply([start(), finished(), interrupted()]);
		const two = new Timeline();
		two.apply([start(), interrupted(), finished()]);
		expect(run(one)?.kind === "run" && run(one)).toMatchObject({ state: "succeeded" });
		expect(run(two)).toMatchObject({ state: "succeeded", code: undefined });
	});

	it("a chat turn's approval shows in the chat thread, and awaiting_approval turns are open", () => {
		const t = new Timeline();
		t.applyTurns("chat_1", [{ turn_id: "turn_1", status: "awaiting_approval", text: "Delete README.md" }]);
		expect(t.openTurns("chat_1").map((x) => x.status)).toEqual(["awaiting_approval"]);
		expect(t.waitsForApproval("chat", "chat_1")).toBe(true);
		t.apply([
			ev({
				type: "CUSTOM",
				task_id: "turn_1",
				chat_id: "chat_1",
				attempt: 1,
				id: "apr_9:requested",
				name: "sparky.approval.requested",
				value: {
					approval: approval({ id: "apr_9", task_id: "turn_1", chat_id: "chat_1", tool_call_id: "turn_1:1:3" }),
				},
			}),
		]);
		expect(t.approvalsIn("chat:chat_1").map((a) => [a.id, a.runId, a.status])).toEqual([
			["apr_9", "turn_1:1", "pending"],
		]);
	});
});
