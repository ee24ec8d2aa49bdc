import type { ChatSummary } from "../protocol/index.ts";
import type { ChatMessageRow } from "./chats.ts";

/**
 * A chat's summaries of its older turns (issue #24), one row per compaction, and the history
 * after one. A summary covers every message of the chat up to and including its turn
 * `through_turn_id`, in the order (created_at, turn id).
 */
export type ChatSummaryRow = ChatSummary;

/** A point in a chat's history: a turn, by when it began and its id. */
export interface TurnPoint {
	createdAt: number;
	turnId: string;
}

export async function insertSummary(db: D1Database, row: ChatSummaryRow): Promise<void> {
	await db
		.prepare(
			`INSERT INTO chat_summaries (id, chat_id, through_created_at, through_turn_id, content, turns, model, created_at)
			 VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		)
		.bind(
			row.id,
			row.chat_id,
			row.through_created_at,
			row.through_turn_id,
			row.content,
			row.turns,
			row.model,
			row.created_at,
		)
		.run();
}

/** The newest summary a turn may build on: one of turns before it, never of the turn itself. */
export async function latestSummary(
	db: D1Database,
	chatId: string,
	turn: { id: string; created_at: number },
): Promise<ChatSummaryRow | null> {
	return db
		.prepare(
			`SELECT * FROM chat_summaries WHERE chat_id = ? AND through_created_at <= ? AND through_turn_id != ?
			 ORDER BY through_created_at DESC, through_turn_id DESC, created_at DESC LIMIT 1`,
		)
		.bind(chatId, turn.created_at, turn.id)
		.first<ChatSummaryRow>();
}

/** A chat's summaries, newest first. */
export async function listSummaries(db: D1Database, chatId: string, limit = 100): Promise<ChatSummaryRow[]> {
	const { results } = await db
		.prepare(
			`SELECT * FROM chat_summaries WHERE chat_id = ?
			 ORDER BY through_created_at DESC, through_turn_id DESC, created_at DESC LIMIT ?`,
		)
		.bind(chatId, limit)
		.all<ChatSummaryRow>();
	return results;
}

const AFTER = "AND (created_at > ? OR (created_at = ? AND coalesce(turn_id, '') > ?))";

/**
 * The history a turn sees after `after` (a summary's last turn; from the start without one):
 * rows of turns that began before it (not its own, not those queued behind it), the newest
 * `limit`, oldest first, ordered turn by turn.
 */
export async function historyAfter(
	db: D1Database,
	chatId: string,
	turn: { id: string; created_at: number },
	after: TurnPoint | undefined,
	limit: number,
): Promise<ChatMessageRow[]> {
	const { results } = await db
		.prepare(
			`SELECT * FROM chat_messages WHERE chat_id = ? AND created_at <= ? AND (turn_id IS NULL OR turn_id != ?)
			 ${after ? AFTER : ""}
			 ORDER BY created_at DESC, coalesce(turn_id, '') DESC, ordinal DESC, id DESC LIMIT ?`,
		)
		.bind(chatId, turn.created_at, turn.id, ...(after ? [after.createdAt, after.createdAt, after.turnId] : []), limit)
		.all<ChatMessageRow>();
	return results.reverse();
}

/** How many turns lie between `after` and `before` (exclusive): those a history page did not reach. */
export async function turnsBetween(
	db: D1Database,
	chatId: string,
	after: TurnPoint | undefined,
	before: TurnPoint,
): Promise<number> {
	const row = await db
		.prepare(
			`SELECT count(DISTINCT coalesce(turn_id, '') || ':' || created_at) AS n FROM chat_messages WHERE chat_id = ?
			 ${after ? AFTER : ""}
			 AND (created_at < ? OR (created_at = ? AND coalesce(turn_id, '') < ?))`,
		)
		.bind(
			chatId,
			...(after ? [after.createdAt, after.createdAt, after.turnId] : []),
			before.createdAt,
			before.createdAt,
			before.turnId,
		)
		.first<{ n: number }>();
	return row?.n ?? 0;
}
