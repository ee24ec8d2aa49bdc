import type { Deps } from "../deps.ts";
import { notFound } from "../errors.ts";
import type { SocketState } from "../hub/connections.ts";
import type { ClientFrame, ControlMessage } from "../protocol/index.ts";
import { getTask } from "../storage/tasks.ts";
import { decideApproval } from "../tasks/approvals.ts";

export type ApprovalFrame = Extract<ClientFrame, { type: "approval.decide" }>;

export function isApprovalFrame(frame: ClientFrame): frame is ApprovalFrame {
	return frame.type === "approval.decide";
}

/** `approval.decide`: the same decision as `POST /api/tasks/:id/approvals/:approvalId`, answered with `ack`. */
export async function handleApprovalFrame(
	deps: Deps,
	state: SocketState,
	frame: ApprovalFrame,
): Promise<ControlMessage> {
	const viewer = { userId: state.userId, role: state.role };
	const task = await getTask(deps.env.DB, frame.task_id);
	if (!task) throw notFound(`task ${frame.task_id}`);
	const body = { approved: frame.approved, ...(frame.reason ? { reason: frame.reason } : {}) };
	const approval = await decideApproval(deps, task, frame.approval_id, body, viewer);
	return { type: "ack", frame: frame.type, ...(frame.id ? { ref: frame.id } : {}), result: { approval } };
}
