import {
	type CustomEventOf,
	type CustomName,
	type Task,
	type TaskStatus,
	TaskStatusSchema,
} from "../protocol/index.ts";

/**
 * What the timeline lists of a task or chat turn, built from whichever source told it (the
 * API's task, a `sparky.task.status` event, a chat's unfinished turns), and which of two
 * statuses wins when they arrive out of order.
 */

export interface TaskSummary {
	id: string;
	kind: "task" | "chat";
	status: TaskStatus;
	attempt: number;
	instruction?: string;
	error?: string;
	result?: string;
	chatId?: string;
	updatedAt: number;
	/** Events that arrived while it wasn't open. */
	unread: number;
}

/** A task as the API has it; `current` is what was known before. */
export function taskFromApi(t: Task, current: TaskSummary | undefined): TaskSummary {
	return {
		id: t.id,
		kind: t.kind,
		status: t.status,
		attempt: t.attempts,
		instruction: t.instruction,
		error: t.error ?? undefined,
		result: t.result ?? undefined,
		chatId: t.chat_id ?? undefined,
		updatedAt: t.updated_at,
		unread: current?.unread ?? 0,
	};
}

/** A task as a `sparky.task.status` event has it: fields the event leaves out are kept from `current`. */
export function taskFromStatus(
	e: CustomEventOf<typeof CustomName.taskStatus>,
	current: TaskSummary | undefined,
): TaskSummary {
	const v = e.value;
	return {
		id: v.task_id,
		kind: v.kind ?? current?.kind ?? (e.chat_id && v.task_id.startsWith("turn_") ? "chat" : "task"),
		status: v.status,
		attempt: v.attempt,
		instruction: v.instruction ?? current?.instruction,
		error: v.error ?? (v.status === "succeeded" ? undefined : current?.error),
		result: v.result ?? current?.result,
		chatId: e.chat_id ?? current?.chatId,
		updatedAt: e.ts,
		unread: current?.unread ?? 0,
	};
}

/** A chat's unfinished turn as a `chat.history` answer lists it (undefined when its status is none this client knows). */
export function taskFromTurn(
	chatId: string,
	turn: { turn_id: string; status: string; text: string },
): TaskSummary | undefined {
	if (!isTaskStatus(turn.status)) return undefined;
	return {
		id: turn.turn_id,
		kind: "chat",
		status: turn.status,
		attempt: 0,
		instruction: turn.text,
		chatId,
		updatedAt: 0,
		unread: 0,
	};
}

const TERMINAL = new Set<TaskStatus>(["succeeded", "failed", "cancelled"]);

/** Whether a task (or turn) with this status has finished, for good. */
export function isFinished(status: TaskStatus): boolean {
	return TERMINAL.has(status);
}

const STATUSES = new Set<string>(TaskStatusSchema.options);

function isTaskStatus(status: string): status is TaskStatus {
	return STATUSES.has(status);
}

/** Where a status sits in a run's life: at the same time, a later stage wins over an earlier one. */
const STAGE: Record<TaskStatus, number> = {
	waiting: 0,
	queued: 0,
	running: 1,
	awaiting_approval: 2,
	succeeded: 3,
	failed: 3,
	cancelled: 3,
};

/**
 * Whether a status heard now replaces the one kept: the newer wins; at the same millisecond
 * (an API answer and a socket event stamped alike) the later stage does, so a task's `queued`
 * answer never hides the `running` that came with it.
 */
export function isNewerStatus(
	current: { status: TaskStatus; updatedAt: number },
	status: TaskStatus,
	ts: number,
): boolean {
	if (ts !== current.updatedAt) return ts > current.updatedAt;
	return STAGE[status] >= STAGE[current.status];
}
