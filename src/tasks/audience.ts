import type { TaskRow } from "../storage/tasks.ts";

/**
 * Who may see and change what: the roles, in one place. Routes, frames and services ask
 * these functions and nothing else.
 *
 * - **A user** owns what they created: their tasks, chats, schedules, tokens' use. They see
 *   a task they created or one posted into their chat, and change (cancel, delete, clear,
 *   decide its approvals) what they created; a task posted into their chat they may cancel.
 * - **The `agent` user** is the operator's live view, a *watcher*: it sees every task (kind
 *   `task`) and its events, across users, and changes only what it created itself. It never
 *   sees other users' chats or their chat turns (a turn is a user's message: chat content is
 *   its owner's), and cannot post into another user's chat.
 * - **An admin** watches like the agent user and may also change any task (cancel, delete,
 *   clear, decide): the operator's hand. Chats are their owner's alone, admins included.
 */
export const AGENT_USER_ID = "agent";

export interface Viewer {
	userId: string;
	role: string;
}

type Owned = Pick<TaskRow, "user_id" | "chat_user_id" | "kind">;

/** Watchers see every task of kind `task`, whoever created it. */
export const isWatcher = (viewer: Viewer): boolean => viewer.userId === AGENT_USER_ID || viewer.role === "admin";

/**
 * Whose hubs a task's events go to: its creator, the chat's owner for a task posted into a
 * chat, and the agent user for background tasks (not for chat turns, which are private).
 */
export function taskAudience(task: Owned): string[] {
	const owners = [task.user_id, ...(task.chat_user_id ? [task.chat_user_id] : [])];
	return [...new Set(task.kind === "chat" ? owners : [AGENT_USER_ID, ...owners])];
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

/** Which tasks a viewer lists (and counts in /api/agent/status). */
export type TaskScope = { kind: "own"; userId: string } | { kind: "watch"; userId: string };

export function taskScope(viewer: Viewer): TaskScope {
	return { kind: isWatcher(viewer) ? "watch" : "own", userId: viewer.userId };
}

/** Which finished tasks a bulk clear may delete: an admin's is every background task, anyone else's their own. */
export function clearScope(actor: Viewer): TaskScope {
	return { kind: actor.role === "admin" ? "watch" : "own", userId: actor.userId };
}

/** A chat is its owner's alone (reading it, posting into it, renaming, deleting). */
export const canUseChat = (chat: { user_id: string }, actor: Viewer): boolean => chat.user_id === actor.userId;
