/**
 * Sparky's MCP tools for approvals: the tool calls waiting for the caller's decision, and
 * deciding one, from any MCP host. The same service and rules as the HTTP API
 * (`GET /api/approvals`, `POST /api/tasks/:id/approvals/:approvalId`): only whose decision it
 * is, the decisions rate, an expired or decided approval is a conflict.
 */
import { z } from "zod";
import { depsFor } from "../deps.ts";
import { ApprovalSchema, DecideApprovalBodySchema, OpaqueIdSchema } from "../protocol/index.ts";
import { decideApproval, pendingApprovalsFor } from "../tasks/approvals.ts";
import { visibleTask } from "../tasks/lookup.ts";
import { defineTool, type SparkyMcpTool, type ToolContext } from "./server-tool.ts";
import { readOnly } from "./task-tools.ts";

export function approvalTools({ env, auth }: ToolContext): SparkyMcpTool[] {
	return [
		defineTool({
			name: "list_approvals",
			description:
				"Tool calls your tasks and chats wait on until someone approves or denies them, oldest first: the tool, its input, when it expires, and whether you may decide it (can_decide).",
			input: z.strictObject({}),
			output: z.object({ approvals: z.array(ApprovalSchema) }),
			annotations: readOnly("List pending approvals"),
			scope: "tasks:read",
			run: async () => ({ approvals: await pendingApprovalsFor(env.DB, auth) }),
		}),
		defineTool({
			name: "decide_approval",
			description:
				"Approve or deny one tool call a task waits on (ids from list_approvals). Approved, the call runs; denied, the agent reads your reason and goes on without it.",
			input: z.strictObject({
				task_id: OpaqueIdSchema.describe("The task that waits (task_…)."),
				approval_id: OpaqueIdSchema.describe("The approval's id, from list_approvals."),
				approved: DecideApprovalBodySchema.shape.approved.describe("true: let the call run; false: refuse it."),
				reason: DecideApprovalBodySchema.shape.reason.describe("Why (the agent reads it), at most 500 characters."),
			}),
			output: z.object({ approval: ApprovalSchema }),
			// Denying stops a step for good; an approval is decided once (a second decision is a conflict).
			annotations: {
				title: "Approve or deny a tool call",
				readOnlyHint: false,
				destructiveHint: true,
				idempotentHint: false,
				openWorldHint: false,
			},
			scope: "approvals:decide",
			async run(args) {
				const task = await visibleTask(env, args.task_id, auth);
				const approval = await decideApproval(
					depsFor(env),
					task,
					args.approval_id,
					{ approved: args.approved, reason: args.reason },
					auth,
				);
				return { approval };
			},
		}),
	];
}
