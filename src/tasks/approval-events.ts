import { type Approval, CustomName, sparkyEvent, type TypedPublishEvent } from "../protocol/index.ts";

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
