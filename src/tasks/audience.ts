import type { TaskRow } from "../storage/tasks.ts";

/**
 * Who may see and change what: the roles, in one place. Routes, frames and services ask
 * these functions and nothing else.
 *
 * - **A user** owns what they created: their tasks, chats, schedules, tokens' use. They see
 *   a task they created or one posted into their chat, and change (cancel, delete, clear,
 *   decide its approvals) what they created; a task posted into their chat they may cancel.
 * - **The `agent` user** is the operator's live view of everything the agent does
 *   (docs/architecture.md, "Who sees what"): it sees every task and every chat turn with their
 *   events, across users, and changes only what it created itself: it can't clear, cancel or
 *   delete others' tasks, decide their approvals, or read, rename or post into their chats.
 * - **An admin** sees every background task (not chat turns) and may change any of them
 *   (cancel, delete, clear, decide): the operator's hand. Chats are their owner's alone,
 *   admins included.
 */
export const AGENT_USER_ID = "agent";

export interface Viewer {
	userId: string;
	role: string;
}

type Owned = Pick<TaskRow, "user_id" | "chat_user_id" | "kind">;

/** Watchers see others' tasks: the agent user all of them, admins every background task. */
export const isWatcher = (viewer: Viewer): boolean => viewer.userId === AGENT_USER_ID || viewer.role === "admin";

/**
 * Whose hubs keep a task's whole stream (every token): its creator's, and the chat's owner's
 * for a task posted into a chat. `GET /api/tasks/:id/events` reads the creator's.
 */
export function streamAudience(task: Owned): string[] {
	return [...new Set([task.user_id, ...(task.chat_user_id ? [task.chat_user_id] : [])])];
}

/**
 * Whose hubs get only a task's summary (tasks/summary-view.ts): the agent user's, which
 * watches all agent work, unless the task is its own.
 */
export function summaryAudience(task: Owned): string[] {
	return streamAudience(task).includes(AGENT_USER_ID) ? [] : [AGENT_USER_ID];
}

/** Every hub that hears of a task: status changes, approvals and notices go to all of them. */
export function taskAudience(task: Owned): string[] {
	return [...summaryAudience(task), ...streamAudience(task)];
}

/** Who may read a task over HTTP or the socket: its audience, and admins for background tasks. */
export function canSeeTask(task: Owned, viewer: Viewer): boolean {
	return taskAudience(task).includes(viewer.userId) || (viewer.role === "admin" && task.kind !== "chat");
}

/**
 * Who may change a task (cancel, delete, decide its approvals): its creator; the chat's
 * owner for a task posted into their chat; an admin for any background task. The agent user
 * only what it created.
 */
export function canChangeTask(task: Owned, actor: Viewer): boolean {
	if (task.user_id === actor.userId || task.chat_user_id === actor.userId) return true;
	return actor.role === "admin" && task.kind !== "chat";
}

/** Which tasks a viewer lists (and counts in /api/agent/status): `all` for the agent user. */
export type TaskScope = { kind: "own" | "watch" | "all"; userId: string };

export function taskScope(viewer: Viewer): TaskScope {
	if (viewer.userId === AGENT_USER_ID) return { kind: "all", userId: viewer.userId };
	return { kind: isWatcher(viewer) ? "watch" : "own", userId: viewer.userId };
}

/** Which finished tasks a bulk clear may delete: an admin's is every background task, anyone else's their own. */
export function clearScope(actor: Viewer): TaskScope {
	return { kind: actor.role === "admin" ? "watch" : "own", userId: actor.userId };
}

/** A chat is its owner's alone (reading it, posting into it, renaming, deleting). */
export const canUseChat = (chat: { user_id: string }, actor: Viewer): boolean => chat.user_id === actor.userId;
