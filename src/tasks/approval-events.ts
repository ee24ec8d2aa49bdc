import {
	type Approval,
	BudgetApprovalInputSchema,
	CustomName,
	sparkyEvent,
	type TypedPublishEvent,
} from "../protocol/index.ts";
import { usdText } from "../usage/dollars.ts";

/** The `CUSTOM` event that tells a task's audience an approval was decided (or expired). */
export function approvalDecidedEvent(approval: Approval, now = Date.now()): TypedPublishEvent {
	return {
		...sparkyEvent(CustomName.approvalDecided, { approval }),
		id: `${approval.id}:${approval.status}`,
		ts: now,
		task_id: approval.task_id,
		...(approval.chat_id ? { chat_id: approval.chat_id } : {}),
	};
}

/** An AG-UI interrupt: a decision a run waits on (`RUN_FINISHED.outcome.interrupts[]`). */
export type AgUiInterrupt = {
	id: string;
	reason: string;
	message: string;
	toolCallId?: string;
	expiresAt: string;
};

/**
 * An approval as AG-UI's interrupt: a tool call to allow, or more money for the task. The
 * run's end says it (runner/run-ending.ts), and so does a thread opened again (agui/threads.ts).
 */
export function interruptOf(approval: Approval): AgUiInterrupt {
	const expiresAt = new Date(approval.expires_at).toISOString();
	const budget = approval.kind === "budget" ? BudgetApprovalInputSchema.safeParse(approval.input) : undefined;
	if (budget?.success) {
		const b = budget.data;
		const message = `spent $${usdText(b.spent_usd)} of $${usdText(b.budget_usd)}: allow $${usdText(b.more_usd)} more?`;
		return { id: approval.id, reason: "budget", message, expiresAt };
	}
	return {
		id: approval.id,
		reason: "tool_approval",
		toolCallId: approval.tool_call_id,
		message: `${approval.tool} needs your approval before it runs`,
		expiresAt,
	};
}
