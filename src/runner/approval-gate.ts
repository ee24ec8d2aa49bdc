import type { CallDecision, ToolCallRequest } from "../agent/runtime.ts";
import { type Approval, newId } from "../protocol/index.ts";
import { type ApprovalKind, approvalFor, requestApproval } from "../storage/approvals.ts";
import type { TaskRow } from "../storage/tasks.ts";

export interface GateOptions {
	db: D1Database;
	task: TaskRow;
	/** The server's floor (SPARKY_APPROVE_TOOLS) plus what the task asked for; `*` means every tool. */
	approve: readonly string[];
	/** Tools the AG-UI client runs itself: the run pauses before each call, for its result. */
	clientTools?: ReadonlySet<string>;
	/** Whether running a tool twice does no harm (see `SparkyTool.idempotent`). */
	isIdempotent: (toolName: string) => boolean;
	/** The tool call that was running when the last attempt stopped, if any. */
	inFlight: string | null;
	/** The call's id in the run's events (what clients and approvals refer to). */
	eventId: (call: ToolCallRequest) => string;
	ttlMs: number;
	now: () => number;
}

/** Does this tool need a person's approval? The server's list and the task's, `*` for all. */
export function needsApproval(approve: readonly string[], toolName: string): boolean {
	return approve.includes("*") || approve.includes(toolName);
}

/**
 * Decides each tool call before it runs: one that needs approval waits for its decision
 * (asked once, remembered in D1, so it survives restarts), a denied or expired one is
 * answered with why, and one cut off by a crash runs again only if its tool is idempotent.
 * `requested` holds the approval a pause is waiting for.
 */
export function approvalGate(options: GateOptions): {
	decide: (call: ToolCallRequest) => Promise<CallDecision>;
	/** Whether deciding this call reads or writes approvals (and may pause); otherwise it is pure. */
	mayPause: (call: ToolCallRequest) => boolean;
	requested: () => Approval | undefined;
	/** What the pause waits for: a person's decision, or a client's tool result. */
	requestedKind: () => ApprovalKind;
} {
	let requested: Approval | undefined;
	let requestedKind: ApprovalKind = "approval";
	let inFlight = options.inFlight;
	const decide = async (call: ToolCallRequest): Promise<CallDecision> => {
		if (options.clientTools?.has(call.toolName)) {
			// Its result arrives with the client's next run, written into the checkpoint: a call
			// still asked about here has none yet.
			const eventId = options.eventId(call);
			const existing = await approvalFor(options.db, options.task.id, eventId);
			if (!existing || existing.status === "pending") {
				requested = existing ?? (await requestApproval(options.db, newApproval(options, call, eventId), "client_tool"));
				requestedKind = "client_tool";
				return { kind: "pause" };
			}
			return {
				kind: "answer",
				output: { error: "not run: the client did not send this tool's result in time" },
			};
		}
		if (needsApproval(options.approve, call.toolName)) {
			const eventId = options.eventId(call);
			const existing = await approvalFor(options.db, options.task.id, eventId);
			if (!existing || existing.status === "pending") {
				requested = existing ?? (await requestApproval(options.db, newApproval(options, call, eventId)));
				requestedKind = "approval";
				return { kind: "pause" };
			}
			if (existing.status === "denied") return { kind: "answer", output: { error: deniedText(existing) } };
			if (existing.status === "expired") {
				const hours = Math.round((existing.expires_at - existing.requested_at) / 3_600_000);
				return {
					kind: "answer",
					output: { error: `not run: nobody approved this call within ${hours} h (the approval expired)` },
				};
			}
		}
		const cutOff = inFlight === call.toolCallId;
		inFlight = null;
		if (cutOff && !options.isIdempotent(call.toolName)) {
			return {
				kind: "answer",
				output: {
					error:
						"interrupted: this call was running when the runner stopped, so it may or may not have " +
						"taken effect. Check before trying it again.",
				},
			};
		}
		return { kind: "run" };
	};
	const mayPause = (call: ToolCallRequest) =>
		(options.clientTools?.has(call.toolName) ?? false) || needsApproval(options.approve, call.toolName);
	return { decide, mayPause, requested: () => requested, requestedKind: () => requestedKind };
}

export function deniedText(approval: Approval): string {
	const who = approval.decided_by ?? "someone";
	return `denied by ${who}${approval.reason ? `: ${approval.reason}` : ""}`;
}

function newApproval(options: GateOptions, call: ToolCallRequest, eventId: string): Approval {
	const now = options.now();
	return {
		id: newId("apr", 12),
		task_id: options.task.id,
		chat_id: options.task.chat_id,
		user_id: options.task.user_id,
		tool_call_id: eventId,
		tool: call.toolName,
		input: call.input,
		status: "pending",
		requested_at: now,
		expires_at: now + options.ttlMs,
		decided_at: null,
		decided_by: null,
		reason: null,
	};
}
