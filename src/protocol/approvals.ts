import { z } from "zod";
import { OpaqueIdSchema } from "./ids.ts";

/** `pending` until someone decides, or until it expires (SPARKY_APPROVAL_TTL_HOURS). */
export const ApprovalStatusSchema = z.enum(["pending", "approved", "denied", "expired"]);
export type ApprovalStatus = z.infer<typeof ApprovalStatusSchema>;

/** A tool call waiting for (or past) a person's decision. */
export const ApprovalSchema = z.object({
	id: z.string(),
	task_id: z.string(),
	/** The chat the task runs in, if any. */
	chat_id: z.string().nullable(),
	/** Whose decision it is: the task's creator (admins may decide too). */
	user_id: z.string(),
	/** The tool call's id in the run's events (`TOOL_CALL_START.toolCallId`). */
	tool_call_id: z.string(),
	tool: z.string(),
	input: z.unknown(),
	status: ApprovalStatusSchema,
	requested_at: z.number().int(),
	expires_at: z.number().int(),
	decided_at: z.number().int().nullable(),
	decided_by: z.string().nullable(),
	reason: z.string().nullable(),
	/**
	 * What is asked: `tool` (may this tool call run?) or `budget` (the task spent its
	 * `max_cost_usd`: may it spend that much again? `input` is `BudgetApprovalInput`, `tool` is
	 * `budget`). Absent from servers before #26 (read it as `tool`).
	 */
	kind: z.enum(["tool", "budget"]).optional(),
	/**
	 * `GET /api/approvals` and `GET /api/tasks/:id` only: whether the caller may decide it
	 * (tasks/audience.ts). Events go to every watcher alike and leave it out.
	 */
	can_decide: z.boolean().optional(),
});
export type Approval = z.infer<typeof ApprovalSchema>;

/** `POST /api/tasks/:id/approvals/:approvalId` body (and the `approval.decide` frame's fields). */
export const DecideApprovalBodySchema = z.strictObject({
	approved: z.boolean(),
	reason: z.string().trim().min(1).max(500).optional(),
});
export type DecideApprovalBody = z.infer<typeof DecideApprovalBodySchema>;

export const ApprovalParamsSchema = z.object({ id: OpaqueIdSchema, approvalId: OpaqueIdSchema });

/** `value` of `CUSTOM` `sparky.approval.requested` / `sparky.approval.decided` events. */
export const ApprovalEventValueSchema = z.object({ approval: ApprovalSchema });
