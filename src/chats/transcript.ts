import { type AgUiEvent, EventType } from "../protocol/index.ts";
import type { ChatMessageRow } from "../storage/chats.ts";

/** Tool results kept in history are summaries: the full output lived in the live events. */
export const TOOL_SUMMARY_CHARS = 1_000;

/**
 * Collects what a run said and did, as chat history rows: the agent's messages (text) and
 * its tool calls (name, arguments, a summary of the result), keyed by the same ids as the
 * live events. Fed every AG-UI event of the run, in order.
 */
export class Transcript {
	readonly #rows = new Map<string, ChatMessageRow>();
	/** 0 is the user's message, written when it was sent. */
	#ordinal = 1;

	/**
	 * Rows are dated by the turn (when its message was sent), not by when they happened, so
	 * history reads turn by turn even when a message was sent while the turn before ran.
	 */
	constructor(
		readonly chatId: string,
		readonly turnId: string,
		readonly turnCreatedAt: number,
	) {}

	/** Rows an earlier attempt of this turn wrote: this run goes on after them (and may fill in their results). */
	resume(rows: ChatMessageRow[]): void {
		for (const row of rows) {
			this.#rows.set(row.id, { ...row });
			this.#ordinal = Math.max(this.#ordinal, row.ordinal + 1);
		}
	}

	/** A row written before the run's own (the user's message, or a task's instruction). */
	add(row: Pick<ChatMessageRow, "id" | "role" | "content">): void {
		this.#put(row.id, { role: row.role, content: row.content, tool_name: null, tool_args: null });
	}

	observe(event: AgUiEvent): void {
		switch (event.type) {
			case EventType.TEXT_MESSAGE_START:
				if (event.role === "assistant") {
					this.#put(String(event.messageId), { role: "assistant", content: "", tool_name: null, tool_args: null });
				}
				break;
			case EventType.TEXT_MESSAGE_CONTENT: {
				const row = this.#rows.get(String(event.messageId));
				if (row) row.content += String(event.delta);
				break;
			}
			case EventType.TOOL_CALL_START:
				this.#put(String(event.toolCallId), {
					role: "tool",
					content: "",
					tool_name: String(event.toolCallName),
					tool_args: "",
				});
				break;
			case EventType.TOOL_CALL_ARGS: {
				const row = this.#rows.get(String(event.toolCallId));
				if (row) row.tool_args = `${row.tool_args ?? ""}${String(event.delta)}`;
				break;
			}
			case EventType.TOOL_CALL_RESULT: {
				const row = this.#rows.get(String(event.toolCallId));
				const content = String(event.content);
				if (row)
					row.content = content.length > TOOL_SUMMARY_CHARS ? `${content.slice(0, TOOL_SUMMARY_CHARS)}…` : content;
				break;
			}
		}
	}

	/** The rows, in the order they happened; empty assistant messages dropped. */
	rows(): ChatMessageRow[] {
		return [...this.#rows.values()].filter((r) => r.role !== "assistant" || r.content.trim() !== "");
	}

	#put(id: string, fields: Pick<ChatMessageRow, "role" | "content" | "tool_name" | "tool_args">): void {
		if (this.#rows.has(id)) return;
		this.#rows.set(id, {
			id,
			chat_id: this.chatId,
			turn_id: this.turnId,
			created_at: this.turnCreatedAt,
			ordinal: this.#ordinal++,
			...fields,
		});
	}
}
