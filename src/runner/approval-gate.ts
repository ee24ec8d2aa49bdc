import type { CallDecision, ToolCallRequest } from "../agent/runtime.ts";
import { type Approval, newId } from "../protocol/index.ts";
import { type ApprovalKind, approvalsByCall, requestApproval } from "../storage/approvals.ts";
import type { TaskRow } from "../storage/tasks.ts";

export interface GateOptions {
	db: D1Database;
	task: TaskRow;
	/** The server's floor (SPARKY_APPROVE_TOOLS) plus what the task asked for; `*` means every tool. */
	approve: readonly string[];
	/** Tools the AG-UI client runs itself: the run pauses before each call, for its result. */
	clientTools?: ReadonlySet<string>;
	/** Calls that need approval because of what the run has done so far (memory after outside content). */
	mustApprove?: (call: ToolCallRequest) => boolean;
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
 *
 * A decision stored for a call binds that call whatever the approve list says now: the list
 * is rebuilt every attempt (a server's `approval` changed, a tool re-listed as read-only), the
 * decision isn't. A denied or expired call never runs, a pending one waits, an approved one
 * runs; and a decision binds only the call it was asked about (same tool, same input).
 */
export function approvalGate(options: GateOptions): {
	decide: (call: ToolCallRequest) => Promise<CallDecision>;
	/** Whether deciding this call may write an approval first (and pause); otherwise it only reads. */
	mayPause: (call: ToolCallRequest) => boolean;
	requested: () => Approval | undefined;
	/** What the pause waits for: a person's decision, or a client's tool result. */
	requestedKind: () => ApprovalKind;
} {
	let requested: Approval | undefined;
	let requestedKind: ApprovalKind = "approval";
	let inFlight = options.inFlight;
	// The task's stored decisions, read once per run (only this gate adds to them while it runs).
	let stored: Promise<Map<string, StoredCall>> | undefined;
	const storedFor = async (eventId: string) => {
		stored ??= approvalsByCall(options.db, options.task.id);
		return (await stored).get(eventId);
	};
	const pause = (approval: Approval, kind: ApprovalKind): CallDecision => {
		requested = approval;
		requestedKind = kind;
		return { kind: "pause" };
	};
	const decide = async (call: ToolCallRequest): Promise<CallDecision> => {
		const eventId = options.eventId(call);
		const isClientTool = options.clientTools?.has(call.toolName) ?? false;
		const listed = needsApproval(options.approve, call.toolName) || (options.mustApprove?.(call) ?? false);
		const found = await storedFor(eventId);
		// A decision about another call under the same id (a provider that repeats ids) is no
		// decision about this one; but nothing can be asked under that id any more either.
		const existing = found && sameCall(found, call) ? found : undefined;
		if (found && !existing && (isClientTool || listed)) {
			return {
				kind: "answer",
				output: {
					error: `not run: this call's id (${call.toolCallId}) was already used by another call, so its approval could not be asked; call the tool again`,
				},
			};
		}
		if (existing?.asks === "client_tool") {
			// Its result arrives with the client's next run, written into the checkpoint: a call
			// still asked about here has none yet.
			if (existing.status === "pending") return pause(existing, "client_tool");
			return {
				kind: "answer",
				output: { error: "not run: the client did not send this tool's result in time" },
			};
		}
		if (existing) {
			if (existing.status === "pending") return pause(existing, "approval");
			if (existing.status === "denied") return { kind: "answer", output: { error: deniedText(existing) } };
			if (existing.status === "expired") {
				const hours = Math.round((existing.expires_at - existing.requested_at) / 3_600_000);
				return {
					kind: "answer",
					output: { error: `not run: nobody approved this call within ${hours} h (the approval expired)` },
				};
			}
			// Approved: it runs (once: its result, in the checkpoint, closes it).
		} else if (isClientTool) {
			return pause(
				await requestApproval(options.db, newApproval(options, call, eventId), "client_tool"),
				"client_tool",
			);
		} else if (listed) {
			return pause(await requestApproval(options.db, newApproval(options, call, eventId)), "approval");
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
		(options.clientTools?.has(call.toolName) ?? false) ||
		needsApproval(options.approve, call.toolName) ||
		(options.mustApprove?.(call) ?? false);
	return { decide, mayPause, requested: () => requested, requestedKind: () => requestedKind };
}

type StoredCall = Approval & { asks: ApprovalKind };

/** Whether a stored approval is about this call: the same tool with the same input. */
function sameCall(stored: StoredCall, call: ToolCallRequest): boolean {
	return stored.tool === call.toolName && canonicalJson(stored.input) === canonicalJson(call.input ?? null);
}

function canonicalJson(value: unknown): string {
	const sorted = (v: unknown): unknown => {
		if (Array.isArray(v)) return v.map(sorted);
		if (v && typeof v === "object") {
			return Object.fromEntries(
				Object.keys(v)
					.sort()
					.map((k) => [k, sorted((v as Record<string, unknown>)[k])]),
			);
		}
		return v;
	};
	return JSON.stringify(sorted(value ?? null));
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
