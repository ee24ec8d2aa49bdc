import type { TaskRow } from "../storage/tasks.ts";

/** The built-in user whose hub shows all agent work (the operator's live view). */
export const AGENT_USER_ID = "agent";

/**
 * Who sees a task's events: the agent user, the task's creator and, for a task posted into
 * a chat, the chat's owner. Nobody else.
 */
export function taskAudience(task: Pick<TaskRow, "user_id" | "chat_user_id">): string[] {
	return [...new Set([AGENT_USER_ID, task.user_id, ...(task.chat_user_id ? [task.chat_user_id] : [])])];
}

/** Who may read a task over HTTP: its creator, the chat's owner, the agent user, and admins. */
export function canSeeTask(
	task: Pick<TaskRow, "user_id" | "chat_user_id">,
	viewer: { userId: string; role: string },
): boolean {
	return taskAudience(task).includes(viewer.userId) || viewer.role === "admin";
}

/** Whose tasks a viewer lists by default: all of them for the agent user and admins. */
export function taskScope(viewer: { userId: string; role: string }): string | null {
	return viewer.userId === AGENT_USER_ID || viewer.role === "admin" ? null : viewer.userId;
}
