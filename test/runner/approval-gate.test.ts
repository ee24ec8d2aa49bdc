import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ToolCallRequest } from "../../src/agent/runtime.ts";
import { newId } from "../../src/protocol/index.ts";
import { approvalGate } from "../../src/runner/approval-gate.ts";
import { type ApprovalKind, decide, requestApproval } from "../../src/storage/approvals.ts";
import type { TaskRow } from "../../src/storage/tasks.ts";
import { newUser } from "../support/api.ts";
import { queuedTask } from "../support/tasks.ts";

const HOUR = 3_600_000;

function gateFor(task: TaskRow, approve: string[], clientTools: string[] = []) {
	return approvalGate({
		db: env.DB,
		task,
		approve,
		clientTools: new Set(clientTools),
		isIdempotent: () => true,
		inFlight: null,
		eventId: (call) => `${task.id}:1:${call.toolCallId}`,
		ttlMs: 24 * HOUR,
		now: Date.now,
	});
}

/** A stored request for `call` (as the gate makes it), then decided as `status` unless pending. */
async function stored(
	task: TaskRow,
	call: ToolCallRequest,
	status: "pending" | "approved" | "denied" | "expired",
	kind: ApprovalKind = "approval",
) {
	const now = Date.now();
	const approval = await requestApproval(
		env.DB,
		{
			id: newId("apr", 12),
			task_id: task.id,
			chat_id: null,
			user_id: task.user_id,
			tool_call_id: `${task.id}:1:${call.toolCallId}`,
			tool: call.toolName,
			input: call.input,
			status: "pending",
			requested_at: now,
			expires_at: now + 24 * HOUR,
			decided_at: null,
			decided_by: null,
			reason: null,
		},
		kind,
	);
	if (status !== "pending") {
		await decide(
			env.DB,
			task.id,
			approval.id,
			{ status, by: status === "expired" ? null : task.user_id, reason: status === "denied" ? "no" : null },
			now,
		);
	}
	return approval;
}

const write: ToolCallRequest = { toolCallId: "call_1", toolName: "files__write", input: { path: "a.md", text: "x" } };

describe("the approval gate checks the stored decision of every call (#22.3)", () => {
	it("a denied call is answered as denied even when its tool is no longer on the approve list", async () => {
		const user = await newUser();
		const task = await queuedTask(user.id);
		await stored(task, write, "denied");
		// The list was rebuilt without the tool (its server's approval now `never`, or re-listed read-only).
		const gate = gateFor(task, []);
		const decision = await gate.decide(write);
		expect(decision).toEqual({ kind: "answer", output: { error: `denied by ${user.id}: no` } });
	});

	it("an expired call is never run; a pending one still waits; an approved one runs", async () => {
		const user = await newUser();
		const task = await queuedTask(user.id);
		const expired = { ...write, toolCallId: "call_exp" };
		const pending = { ...write, toolCallId: "call_wait" };
		const approved = { ...write, toolCallId: "call_ok" };
		await stored(task, expired, "expired");
		const waiting = await stored(task, pending, "pending");
		await stored(task, approved, "approved");
		const gate = gateFor(task, []);
		expect(await gate.decide(expired)).toMatchObject({ kind: "answer", output: { error: /approval expired/ } });
		expect(await gate.decide(approved)).toEqual({ kind: "run" });
		expect(await gate.decide(pending)).toEqual({ kind: "pause" });
		expect(gate.requested()?.id).toBe(waiting.id);
	});

	it("a decision binds only the call it was asked about: another tool under the same id is not let through", async () => {
		const user = await newUser();
		const task = await queuedTask(user.id);
		await stored(
			task,
			{ toolCallId: "call_1", toolName: "write_file", input: { path: "a.md", content: "x" } },
			"approved",
		);
		const gate = gateFor(task, ["delete_file", "write_file"]);
		// Same id (a provider that repeats ids), other tool / other input: no approval for it.
		const del = { toolCallId: "call_1", toolName: "delete_file", input: { path: "README.md" } };
		expect(await gate.decide(del)).toMatchObject({ kind: "answer", output: { error: /already used by another call/ } });
		const other = { toolCallId: "call_1", toolName: "write_file", input: { path: "b.md", content: "y" } };
		expect(await gate.decide(other)).toMatchObject({ kind: "answer" });
		// The same call (keys in another order) is the approved one.
		const same = { toolCallId: "call_1", toolName: "write_file", input: { content: "x", path: "a.md" } };
		expect(await gate.decide(same)).toEqual({ kind: "run" });
		// A tool that needs no approval is not held back by someone else's decision.
		expect(await gateFor(task, []).decide({ toolCallId: "call_1", toolName: "list_files", input: {} })).toEqual({
			kind: "run",
		});
	});

	it("a listed call with no decision yet is asked about, once", async () => {
		const user = await newUser();
		const task = await queuedTask(user.id);
		const gate = gateFor(task, ["files__write"]);
		expect(await gate.decide(write)).toEqual({ kind: "pause" });
		const asked = gate.requested();
		expect(asked).toMatchObject({ tool: "files__write", status: "pending" });
		const again = gateFor(task, []);
		expect(await again.decide(write)).toEqual({ kind: "pause" });
		expect(again.requested()?.id).toBe(asked?.id);
	});
});
