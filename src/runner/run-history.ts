import type { ModelMessage, ToolSet } from "ai";
import type { ResolvedModel } from "../agent/models.ts";
import { systemTokens, toolsTokens } from "../agent/prompt-size.ts";
import { formatTurn } from "../agent/summary-prompt.ts";
import { cutText, messageTextTokens } from "../agent/tokens.ts";
import {
	groupTurns,
	type HistoryPreface,
	type HistoryShares,
	type HistoryTurn,
	historyMessages,
	historyShares,
	planHistory,
	prefaceTokens,
	turnLines,
} from "../chats/context.ts";
import { Transcript } from "../chats/transcript.ts";
import { log } from "../log.ts";
import { type AgUiEvent, CustomName, newId, sparkyEvent } from "../protocol/index.ts";
import {
	type ChatSummaryRow,
	historyAfter,
	insertSummary,
	latestSummary,
	turnsBetween,
} from "../storage/chat-summaries.ts";
import { turnMessages } from "../storage/chats.ts";
import type { StoredMessage } from "../storage/checkpoints.ts";
import type { TaskRow } from "../storage/tasks.ts";
import { foldTurns } from "./compaction.ts";
import { attachmentContent, withEarlierAttachments } from "./run-attachments.ts";

/** History rows one turn reads at most (after the latest summary); older ones are counted, not read. */
const MAX_HISTORY_ROWS = 400;

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

/** What choosing a run's messages needs: the budget, what else the prompt holds, the model (to compact). */
export interface PromptContext {
	model: ResolvedModel;
	/** The whole prompt at most (contextBudget). */
	budget: number;
	system: string;
	tools: ToolSet;
	signal: AbortSignal;
	/** The run's events (the `sparky.context.compacted` notice). */
	emit: (event: AgUiEvent) => void;
	now: () => number;
	/** Told of each model call that summarised older turns (it is billed like any call). */
	onSummaryCall?: (call: { inputTokens: number; outputTokens: number; ms: number }) => Promise<void>;
}

/**
 * A task sees its instruction and its attachments; a chat turn sees the chat's history within
 * its share of the budget (chats/context.ts), then the new message. History that outgrew its
 * share is compacted first: its older turns become the chat's new summary.
 */
export async function baseMessages(env: Env, task: TaskRow, context: PromptContext): Promise<ModelMessage[]> {
	const available = context.budget - systemTokens(context.system) - (await toolsTokens(context.tools));
	// The new message takes half of what is left at most; a bigger one is cut visibly.
	const instruction = cutText(task.instruction, Math.max(0, Math.floor(available / 2)));
	const instructionTokens = messageTextTokens(instruction);
	// Its attachments may take it to three quarters (run-attachments.ts cuts their text to fit).
	const attached = await attachmentContent(
		env,
		task,
		context.model.label,
		Math.max(0, Math.floor((available * 3) / 4) - instructionTokens),
	);
	const message = (text: string): ModelMessage =>
		attached.parts.length > 0
			? { role: "user", content: [{ type: "text", text }, ...attached.parts] }
			: { role: "user", content: text };
	if (task.kind !== "chat" || !task.chat_id) return [message(instruction)];
	const shares = historyShares(available - instructionTokens - attached.tokens);
	const history = await chatHistory(env, task, task.chat_id, shares, context);
	// The new message follows; merge if history ended on the user's side (an unanswered turn).
	const last = history.at(-1);
	if (last?.role === "user" && typeof last.content === "string")
		return [...history.slice(0, -1), message(`${last.content}\n\n${instruction}`)];
	return [...history, message(instruction)];
}

/** The chat's latest summary and the turns after it, compacted first when they outgrew `shares.history`. */
async function chatHistory(
	env: Env,
	task: TaskRow,
	chatId: string,
	shares: HistoryShares,
	context: PromptContext,
): Promise<ModelMessage[]> {
	const summary = await latestSummary(env.DB, chatId, task);
	const after = summary ? { createdAt: summary.through_created_at, turnId: summary.through_turn_id } : undefined;
	const rows = await withEarlierAttachments(env.DB, await historyAfter(env.DB, chatId, task, after, MAX_HISTORY_ROWS));
	const turns = groupTurns(rows);
	let unread = 0;
	if (rows.length >= MAX_HISTORY_ROWS && turns.length > 1) {
		// The oldest turn read may be missing its first rows: it joins those not read.
		const [first] = turns.splice(0, 1) as [HistoryTurn];
		unread = 1 + (await turnsBetween(env.DB, chatId, after, { createdAt: first.createdAt, turnId: first.turnId }));
	}
	const preface: HistoryPreface = { summary: summary?.content, leftOut: unread || undefined };
	const plan = planHistory(prefaceTokens(preface, shares), turns, shares);
	if (plan.kind === "fits") return historyMessages(preface, plan.turns, shares);
	const compacted = await compact(env, chatId, summary, plan.older, unread, shares, context);
	if (compacted) return historyMessages({ summary: compacted.content }, plan.kept, shares);
	// Summarising failed: the older turns are left out, visibly, and the next turn tries again.
	return historyMessages({ summary: summary?.content, leftOut: unread + plan.older.length }, plan.kept, shares);
}

/** Folds `older` into a new summary, stores it and says so on the run; undefined when the model failed. */
async function compact(
	env: Env,
	chatId: string,
	previous: ChatSummaryRow | null,
	older: HistoryTurn[],
	unread: number,
	shares: HistoryShares,
	context: PromptContext,
): Promise<ChatSummaryRow | undefined> {
	const through = older.at(-1);
	if (!through) return undefined;
	const folded = await foldTurns({
		model: context.model.model,
		previous: previous?.content,
		turns: older.map((turn) => formatTurn(turnLines(turn, shares.message))),
		unread,
		budget: context.budget,
		summaryTokens: shares.summary,
		signal: context.signal,
		onCall: context.onSummaryCall,
	});
	if (!folded.ok) {
		log.warn("chat compaction failed; older turns left out", { chat_id: chatId, error: folded.error });
		return undefined;
	}
	const row: ChatSummaryRow = {
		id: newId("sum", 12),
		chat_id: chatId,
		through_created_at: through.createdAt,
		through_turn_id: through.turnId,
		content: folded.summary,
		turns: (previous?.turns ?? 0) + unread + older.length,
		model: context.model.label,
		created_at: context.now(),
	};
	await insertSummary(env.DB, row);
	context.emit(
		sparkyEvent(CustomName.contextCompacted, {
			summary_id: row.id,
			turns: row.turns,
			through_turn_id: row.through_turn_id,
		}),
	);
	log.info("chat compacted", {
		chat_id: chatId,
		summary_id: row.id,
		turns: row.turns,
		calls: folded.calls,
		...folded.usage,
	});
	return row;
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
