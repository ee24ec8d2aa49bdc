import type { Approval, ModelCallUsage, TaskStatus } from "../protocol/index.ts";
import { type BoardRow, isEnded } from "./board-types.ts";

/**
 * One board row's fields: a row as first heard of, and what a single event (a status, a tool
 * call's end, a model call's usage, an approval) changes in it. The board (src/client/board.ts)
 * decides which row an event is about and whether it still applies.
 */

/** A task heard of, nothing known yet but its id. */
export function newRow(id: string): BoardRow {
	return {
		id,
		kind: undefined,
		userId: "",
		instruction: "",
		status: "unknown",
		attempt: 0,
		model: undefined,
		createdAt: undefined,
		startedAt: undefined,
		endedAt: undefined,
		step: 0,
		tool: undefined,
		lastTool: undefined,
		tokens: undefined,
		costUsd: undefined,
		tokensAt: 0,
		usageAttempts: [],
		approvals: [],
		error: undefined,
		lastTs: 0,
		statusTs: 0,
	};
}

/** The row's status from now on, unless it ended: an ended task stays ended. */
export function setStatus(row: BoardRow, status: TaskStatus, ts: number): void {
	if (isEnded(row.status)) return;
	row.status = status;
	row.statusTs = Math.max(row.statusTs, ts);
}

/** A model call ended: its tokens join the row's (unless a snapshot after it has them), the task's cost is the call's word. */
export function addUsage(row: BoardRow, value: ModelCallUsage, attempt: number, ts: number): boolean {
	if (!row.usageAttempts.includes(attempt)) row.usageAttempts.push(attempt);
	if (ts > row.tokensAt) row.tokens = (row.tokens ?? 0) + value.input_tokens + value.output_tokens;
	row.costUsd = value.task_cost_usd;
	return true;
}

/** The call in progress ended (its result arrived): the task is thinking again, until its next call. */
export function toolEnded(row: BoardRow, toolCallId: string): boolean {
	if (row.tool?.callId !== toolCallId) return false;
	row.tool = undefined;
	return true;
}

/** A pending approval joins the row's (unless the task ended); a decided one leaves them. */
export function applyApproval(row: BoardRow, approval: Approval): boolean {
	const others = row.approvals.filter((a) => a.id !== approval.id);
	if (approval.status === "pending" && !isEnded(row.status)) {
		row.approvals = [
			...others,
			{
				id: approval.id,
				tool: approval.tool,
				decider: approval.user_id,
				requestedAt: approval.requested_at,
				expiresAt: approval.expires_at,
			},
		];
		row.userId ||= approval.user_id;
	} else row.approvals = others;
	return true;
}
