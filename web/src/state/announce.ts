import type { Timeline } from "../../../src/client/index.ts";
import { type ClientEvent, CustomName, EventType, type TaskStatusValue } from "../../../src/protocol/index.ts";
import { firstLine } from "../lib/format.ts";
import type { Route } from "../lib/route.ts";

const TASK_WORDS: Partial<Record<TaskStatusValue["status"], string>> = {
	succeeded: "succeeded",
	failed: "failed",
	cancelled: "was cancelled",
	awaiting_approval: "is waiting for approval",
};

const TURN_WORDS: Partial<Record<TaskStatusValue["status"], string>> = {
	failed: "The answer failed",
	cancelled: "The answer was stopped",
	awaiting_approval: "The answer is waiting for approval",
};

/**
 * What a screen reader should hear about an event, if anything (a polite live region says
 * it): an answer finished in the open chat or task, the open task's or chat's status
 * changed, a tool call waits for someone's approval. Short, and only what concerns the view.
 */
export function announcementFor(event: ClientEvent, timeline: Timeline, route: Route): string | undefined {
	const inView =
		(route.kind === "chat" && event.chat_id === route.id) ||
		(route.kind === "task" && event.task_id === route.id && !event.chat_id);
	if (event.type === EventType.TEXT_MESSAGE_END && inView) {
		const key = route.kind === "chat" ? `chat:${route.id}` : `task:${route.id}`;
		const item = timeline.items(key as `chat:${string}`).find((i) => i.id === event.messageId);
		if (item?.kind === "message" && item.role === "assistant") return `Sparky answered: ${firstLine(item.text, 100)}`;
		return undefined;
	}
	if (event.type !== EventType.CUSTOM) return undefined;
	if (event.name === CustomName.approvalRequested) {
		const a = event.value.approval;
		if (a.kind === "budget") return "Budget reached: a task waits for a decision to spend more.";
		return `Approval needed: ${a.tool} waits for a decision.`;
	}
	if (event.name === CustomName.taskStatus && inView) {
		const v = event.value;
		if (event.chat_id) {
			const words = TURN_WORDS[v.status];
			return words ? `${words}${v.status === "failed" && v.error ? `: ${firstLine(v.error, 100)}` : "."}` : undefined;
		}
		const words = TASK_WORDS[v.status];
		if (!words) return undefined;
		const what = firstLine(v.instruction ?? timeline.task(v.task_id)?.instruction ?? "", 60);
		return `Task ${words}${what ? `: ${what}` : "."}`;
	}
	return undefined;
}
