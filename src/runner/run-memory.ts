import type { ModelMessage } from "ai";
import { log } from "../log.ts";
import { type RecalledMemories, recallForRun } from "../memory/recall.ts";
import { type AgUiEvent, EventType } from "../protocol/index.ts";
import type { TaskRow } from "../storage/tasks.ts";

const NOTHING: RecalledMemories = { block: "", ids: [], pinned: [] };

/**
 * What a run is given of its user's memories (recall.ts), for the task's instruction or the
 * chat's latest message. Memory helps a run; it is never a reason for one to fail: a read
 * that fails gives the run none, and says so in the log.
 */
export async function memoriesForRun(
	env: Env,
	task: TaskRow,
	budgetTokens: number,
	now: number,
): Promise<RecalledMemories> {
	try {
		return await recallForRun(env, task.user_id, task.instruction, budgetTokens, now);
	} catch (error) {
		log.warn("memories could not be recalled; the run goes on without them", { taskId: task.id, error });
		return NOTHING;
	}
}

/** Tools that change what is remembered: in a run that has read outside content, they wait for a person. */
export const MEMORY_WRITE_TOOLS: ReadonlySet<string> = new Set(["remember", "forget"]);

/** Tools whose results are someone else's words: a web page, an MCP server (`<server>__<tool>`). */
export function readsOutside(toolName: string): boolean {
	return toolName === "http_fetch" || toolName.includes("__");
}

/**
 * Memory poisoning: text from the web, an MCP server or an attached file must not quietly become a memory (a
 * page that says "remember that …" would otherwise be obeyed by a gullible model, and every
 * later run would be given it). Once a run has called such a tool (this attempt, or an
 * earlier one of the same task, from its checkpoint), a call that changes memory needs a
 * person's approval; the approval shows the text.
 */
export class OutsideContent {
	#read: string | undefined;

	constructor(saved: readonly ModelMessage[]) {
		for (const message of saved) {
			if (message.role !== "assistant" || typeof message.content === "string") continue;
			for (const part of message.content)
				if (part.type === "tool-call" && readsOutside(part.toolName)) this.#read ??= part.toolName;
		}
	}

	/**
	 * The run's new message: files attached to it (a PDF, a page saved as text) are someone's
	 * words too, so they count like a page fetched (files/describe.ts tags each one).
	 */
	observeMessage(message: ModelMessage | undefined): void {
		if (message?.role !== "user" || typeof message.content === "string") return;
		const attached = message.content.some(
			(part) => part.type !== "text" || part.text.trimStart().startsWith("<attachment "),
		);
		if (attached) this.#read ??= "an attachment";
	}

	/** Fed every event of the run: a call to an outside tool counts from its start. */
	observe(event: AgUiEvent): void {
		if (event.type === EventType.TOOL_CALL_START && readsOutside(String(event.toolCallName)))
			this.#read ??= String(event.toolCallName);
	}

	/** The first outside tool the run called (or "an attachment"), if any. */
	get readBy(): string | undefined {
		return this.#read;
	}

	/** Whether this call must wait for a person because of what the run has read. */
	mustApprove(toolName: string): boolean {
		return this.#read !== undefined && MEMORY_WRITE_TOOLS.has(toolName);
	}
}
