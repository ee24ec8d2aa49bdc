import type { ModelMessage } from "ai";
import { CONTEXT_ROWS, historyToMessages } from "../chats/context.ts";
import { Transcript } from "../chats/transcript.ts";
import { recentMessages, turnMessages } from "../storage/chats.ts";
import type { StoredMessage } from "../storage/checkpoints.ts";
import type { TaskRow } from "../storage/tasks.ts";

/** A run in a chat (a turn, or a task posted into it) becomes part of the chat's history. */
export async function transcriptOf(env: Env, task: TaskRow): Promise<Transcript | undefined> {
	if (!task.chat_id) return undefined;
	const transcript = new Transcript(task.chat_id, task.id, task.created_at);
	// A turn that paused (or crashed) goes on after what its earlier attempts wrote.
	if (task.attempts > 1) transcript.resume(await turnMessages(env.DB, task.id));
	if (task.kind === "task") {
		transcript.add({ id: `${task.id}:instruction`, role: "user", content: `Task: ${task.instruction}` });
	}
	return transcript;
}

/** A task sees its instruction; a chat turn sees the chat's recent history, then the new message. */
export async function baseMessages(env: Env, task: TaskRow): Promise<ModelMessage[]> {
	const current: ModelMessage = { role: "user", content: task.instruction };
	if (task.kind !== "chat" || !task.chat_id) return [current];
	const history = historyToMessages(await recentMessages(env.DB, task.chat_id, task, CONTEXT_ROWS));
	// The new message follows; merge if history ended on the user's side (an unanswered turn).
	const last = history.at(-1);
	if (last?.role === "user")
		return [...history.slice(0, -1), { role: "user", content: `${last.content}\n\n${task.instruction}` }];
	return [...history, current];
}

/**
 * Which run announced each tool call, so a resumed call's result joins the events of the run
 * that announced it (an earlier attempt's), and its approval keeps the id people saw.
 */
export class CallAnnouncers {
	readonly #by = new Map<string, string>();

	constructor(
		/** This run's id: the announcer of every call not seen before. */
		readonly runId: string,
		saved: readonly StoredMessage[],
	) {
		for (const m of saved) this.remember(m.runId, m.message);
	}

	remember(runId: string, message: ModelMessage): void {
		if (message.role !== "assistant" || typeof message.content === "string") return;
		for (const part of message.content) if (part.type === "tool-call") this.#by.set(part.toolCallId, runId);
	}

	runIdOf(toolCallId: string): string {
		return this.#by.get(toolCallId) ?? this.runId;
	}
}
