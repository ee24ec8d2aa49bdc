import type { ModelMessage } from "ai";
import { cutText, messageTextTokens } from "../agent/tokens.ts";
import type { ChatMessage } from "../protocol/index.ts";

/**
 * A chat's history within a token budget (issue #24), pure: rows in, a plan and messages out.
 * The history a turn sees is the chat's latest summary (storage/chat-summaries.ts) and the
 * turns after it; when those outgrow the history's share of the budget, the older turns are
 * compacted into a new summary (runner/compaction.ts) and the newest kept word for word.
 */

const TOOL_NOTE_CHARS = 400;
const TOOL_ARGS_CHARS = 200;
/** Of what the prompt has left after the system prompt, tools and the new message: the history's part (the rest is the run's own work). */
const HISTORY_SHARE = 0.5;
/** A summary at most, whatever the budget: it is written in one model call. */
const SUMMARY_MAX_TOKENS = 4_000;

export type HistoryRow = Pick<ChatMessage, "role" | "content" | "tool_name" | "tool_args">;
export type StoredRow = HistoryRow & Pick<ChatMessage, "turn_id" | "created_at">;

/** One turn of a chat: a message and what the agent said and did about it. */
export interface HistoryTurn {
	turnId: string;
	createdAt: number;
	rows: StoredRow[];
}

/** Where the history's tokens go. */
export interface HistoryShares {
	/** The whole history: summary and turns. */
	history: number;
	/** The newest turns kept word for word when the older ones are compacted. */
	keep: number;
	/** One summary at most. */
	summary: number;
	/** One message at most: a bigger one is cut visibly. */
	message: number;
}

export function historyShares(available: number): HistoryShares {
	const history = Math.max(0, Math.floor(available * HISTORY_SHARE));
	return {
		history,
		keep: Math.floor(history / 2),
		summary: Math.min(SUMMARY_MAX_TOKENS, Math.floor(history / 4)),
		message: Math.floor(history / 4),
	};
}

/**
 * A chat's history as model messages: user and assistant text, with tool calls folded into
 * short notes on the assistant side, each message at most `messageTokens` (cut visibly).
 * Consecutive messages of one role are merged and the list starts with the user, which
 * every provider accepts. Pure: history in, messages out.
 */
export function historyToMessages(rows: HistoryRow[], messageTokens = Number.POSITIVE_INFINITY): ModelMessage[] {
	const merged: { role: "user" | "assistant"; parts: string[] }[] = [];
	for (const row of rows) {
		const role = row.role === "user" ? "user" : "assistant";
		const text = cutText(rowText(row), messageTokens);
		const last = merged.at(-1);
		if (last?.role === role) last.parts.push(text);
		else merged.push({ role, parts: [text] });
	}
	while (merged[0] && merged[0].role !== "user") merged.shift();
	return merged.map((m) => ({ role: m.role, content: m.parts.join("\n\n") }));
}

/** A row as the model reads it: its text, or a tool call as a short note. */
export function rowText(row: HistoryRow): string {
	if (row.role !== "tool") return row.content;
	return `[used ${row.tool_name}(${clip(row.tool_args ?? "", TOOL_ARGS_CHARS)}) → ${clip(row.content, TOOL_NOTE_CHARS)}]`;
}

/** Rows (oldest first) grouped into turns, in order. */
export function groupTurns(rows: readonly StoredRow[]): HistoryTurn[] {
	const turns: HistoryTurn[] = [];
	for (const row of rows) {
		const turnId = row.turn_id ?? "";
		const last = turns.at(-1);
		if (last && last.turnId === turnId && last.createdAt === row.created_at) last.rows.push(row);
		else turns.push({ turnId, createdAt: row.created_at, rows: [row] });
	}
	return turns;
}

/** A turn's tokens as history (each message cut to `messageTokens`). */
export function turnTokens(turn: HistoryTurn, messageTokens: number): number {
	let total = 0;
	for (const row of turn.rows) total += messageTextTokens(cutText(rowText(row), messageTokens));
	return total;
}

export type HistoryPlan =
	/** Summary and turns fit the history's share as they are. */
	| { kind: "fits"; turns: HistoryTurn[] }
	/** `older` are to be folded into the summary; `kept`, the newest, stay word for word. */
	| { kind: "compact"; older: HistoryTurn[]; kept: HistoryTurn[] };

/**
 * Whether the summary (`summaryTokens`, its preface included) and the turns after it fit the
 * history's share; if not, which turns to compact: all but the newest that fit in `keep`.
 */
export function planHistory(summaryTokens: number, turns: HistoryTurn[], shares: HistoryShares): HistoryPlan {
	const costs = turns.map((t) => turnTokens(t, shares.message));
	const total = costs.reduce((a, b) => a + b, summaryTokens);
	if (total <= shares.history) return { kind: "fits", turns };
	let kept = 0;
	let used = 0;
	for (let i = costs.length - 1; i >= 0; i--) {
		const cost = costs[i] as number;
		if (used + cost > shares.keep) break;
		used += cost;
		kept++;
	}
	return { kind: "compact", older: turns.slice(0, turns.length - kept), kept: turns.slice(turns.length - kept) };
}

/** What opens the history when older turns are summarised, or left out. */
export interface HistoryPreface {
	summary?: string;
	/** Turns left out without a summary (compaction failed). */
	leftOut?: number;
}

const SUMMARY_INTRO = "Summary of the earlier part of this chat (older turns, compacted to fit):";

/** The preface's text, the summary cut to its share; "" when there is none. */
export function prefaceText(preface: HistoryPreface, shares: HistoryShares): string {
	const parts: string[] = [];
	if (preface.summary) {
		const room = Math.max(0, shares.summary - messageTextTokens(SUMMARY_INTRO));
		parts.push(`${SUMMARY_INTRO}\n${cutText(preface.summary, room)}`);
	}
	if (preface.leftOut) parts.push(`[${preface.leftOut} earlier turns left out]`);
	return parts.join("\n\n");
}

/** What the preface costs as history. */
export function prefaceTokens(preface: HistoryPreface, shares: HistoryShares): number {
	const text = prefaceText(preface, shares);
	return text ? messageTextTokens(text) : 0;
}

/** The history as messages: the preface on the user's side, then the turns. */
export function historyMessages(preface: HistoryPreface, turns: HistoryTurn[], shares: HistoryShares): ModelMessage[] {
	const text = prefaceText(preface, shares);
	const opening: HistoryRow[] = text ? [{ role: "user", content: text, tool_name: null, tool_args: null }] : [];
	return historyToMessages([...opening, ...turns.flatMap((t) => t.rows)], shares.message);
}

/** A turn as the summariser reads it: who said what, tool calls as notes on Sparky's side. */
export function turnLines(turn: HistoryTurn, messageTokens: number): { who: "user" | "sparky"; text: string }[] {
	return turn.rows.map((row) => ({
		who: row.role === "user" ? "user" : "sparky",
		text: cutText(rowText(row), messageTokens),
	}));
}

function clip(text: string, max: number): string {
	return text.length > max ? `${text.slice(0, max)}…` : text;
}
