import type { Deps } from "../deps.ts";
import {
	CustomName,
	type PublishEvent,
	sparkyEvent,
	type TaskStatusValue,
	type TypedPublishEvent,
} from "../protocol/index.ts";
import type { TaskRow } from "../storage/tasks.ts";
import { streamAudience, summaryAudience, taskAudience } from "./audience.ts";

/**
 * The `CUSTOM` `sparky.task.status` event for a task's current row. Its id is stable per
 * (task, status, attempt), so publishing it twice stores it once.
 */
export function taskStatusEvent(
	row: TaskRow,
	extra: Partial<TaskStatusValue> = {},
	now = Date.now(),
): TypedPublishEvent {
	const value: TaskStatusValue = {
		task_id: row.id,
		kind: row.kind,
		status: row.status,
		attempt: row.attempts,
		user_id: row.user_id,
		...(row.status === "queued" && row.attempts === 0 ? { instruction: row.instruction } : {}),
		...(row.error && (row.status === "failed" || row.status === "queued") ? { error: row.error } : {}),
		...(row.status === "succeeded" && row.result !== null ? { result: row.result } : {}),
		...(row.model ? { model: row.model } : {}),
		...(row.status === "succeeded" && row.tool_failures > 0 ? { tool_failures: row.tool_failures } : {}),
		...(row.status === "succeeded" || row.status === "failed"
			? {
					usage: {
						input_tokens: row.input_tokens,
						output_tokens: row.output_tokens,
						total_tokens: row.input_tokens + row.output_tokens,
					},
				}
			: {}),
		...extra,
	};
	return {
		...sparkyEvent(CustomName.taskStatus, value),
		id: `${row.id}:status:${row.status}:${row.attempts}`,
		ts: now,
		task_id: row.id,
		...(row.chat_id ? { chat_id: row.chat_id } : {}),
		...(row.attempts > 0 ? { attempt: row.attempts } : {}),
	};
}

/**
 * The `queued` event a task was announced with when it was created (same id, value and time),
 * rebuilt from its row: the run sends it again ahead of `running` (tasks/service.ts).
 */
export function queuedAnnouncement(row: TaskRow): TypedPublishEvent {
	return taskStatusEvent(
		{ ...row, status: "queued", attempts: 0, error: null, result: null, model: null },
		{},
		row.created_at,
	);
}

/** Sends events about a task to everyone in its audience, through the relay (never throws). */
export async function publishToAudience({ relay }: Deps, row: TaskRow, events: PublishEvent[]): Promise<void> {
	await relay.send(taskAudience(row), events);
}

/**
 * A new task's announcement: to the hubs that keep its stream, which pass it on to the
 * agent's hub paced. Tasks are created one request each; the agent's hub gets a few calls a
 * second per creator, not one per task. The run repeats its `queued` announcement ahead of
 * `running` (same id), should a forward be late or lost.
 */
export async function announceToAudience({ relay }: Deps, row: TaskRow, events: PublishEvent[]): Promise<void> {
	await relay.send(streamAudience(row), events, { forward: summaryAudience(row) });
}

export function publishTaskStatus(deps: Deps, row: TaskRow, extra?: Partial<TaskStatusValue>): Promise<void> {
	return publishToAudience(deps, row, [taskStatusEvent(row, extra)]);
}
