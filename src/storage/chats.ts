import type { Chat, ChatMessage, SendPolicy } from "../protocol/index.ts";

export async function insertChat(db: D1Database, chat: Chat): Promise<void> {
	await db
		.prepare("INSERT INTO chats (id, user_id, title, created_at, updated_at, policy) VALUES (?, ?, ?, ?, ?, ?)")
		.bind(chat.id, chat.user_id, chat.title, chat.created_at, chat.updated_at, chat.policy ?? "queue")
		.run();
}

export async function getChat(db: D1Database, id: string): Promise<Chat | null> {
	return db.prepare("SELECT * FROM chats WHERE id = ?").bind(id).first<Chat>();
}

/** A user's chats, most recently active first; `after` continues past (updated_at, id). */
export async function listChats(
	db: D1Database,
	userId: string,
	limit = 200,
	after?: { updatedAt: number; id: string },
): Promise<Chat[]> {
	const page = after ? "AND (updated_at < ? OR (updated_at = ? AND id < ?))" : "";
	const args = after ? [after.updatedAt, after.updatedAt, after.id] : [];
	const { results } = await db
		.prepare(`SELECT * FROM chats WHERE user_id = ? ${page} ORDER BY updated_at DESC, id DESC LIMIT ?`)
		.bind(userId, ...args, limit)
		.all<Chat>();
	return results;
}

export async function countChats(db: D1Database, userId: string): Promise<number> {
	const row = await db.prepare("SELECT count(*) AS n FROM chats WHERE user_id = ?").bind(userId).first<{ n: number }>();
	return row?.n ?? 0;
}

export async function updateChat(
	db: D1Database,
	id: string,
	fields: { title?: string; policy?: SendPolicy },
	now: number,
): Promise<Chat | null> {
	return db
		.prepare(
			"UPDATE chats SET title = coalesce(?, title), policy = coalesce(?, policy), updated_at = ? WHERE id = ? RETURNING *",
		)
		.bind(fields.title ?? null, fields.policy ?? null, now, id)
		.first<Chat>();
}

export async function deleteChat(db: D1Database, id: string): Promise<Chat | null> {
	const [, deleted] = await db.batch([
		db.prepare("DELETE FROM chat_messages WHERE chat_id = ?").bind(id),
		db.prepare("DELETE FROM chats WHERE id = ? RETURNING *").bind(id),
	]);
	return ((deleted?.results ?? [])[0] as Chat | undefined) ?? null;
}

export type ChatMessageRow = ChatMessage;

/**
 * Writes history rows; rewriting the same id in the same chat and turn (a retried turn)
 * replaces its content. Ids are unique across all chats: a row whose id another chat (or
 * another turn) holds already is not written, never rewritten, whatever the caller sent.
 */
export async function putMessages(db: D1Database, rows: ChatMessageRow[]): Promise<void> {
	if (rows.length === 0) return;
	const statement = db.prepare(
		`INSERT INTO chat_messages (id, chat_id, turn_id, role, content, tool_name, tool_args, created_at, ordinal)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		 ON CONFLICT (id) DO UPDATE SET content = excluded.content, tool_args = excluded.tool_args
		 WHERE chat_messages.chat_id = excluded.chat_id AND chat_messages.turn_id IS excluded.turn_id`,
	);
	await db.batch(
		rows.map((r) =>
			statement.bind(r.id, r.chat_id, r.turn_id, r.role, r.content, r.tool_name, r.tool_args, r.created_at, r.ordinal),
		),
	);
}

/**
 * Writes new history rows only, in one transaction: the ids of the rows this call inserted. A
 * row whose id is stored already is left alone, so of two requests claiming the same
 * message at once exactly one gets it (an AG-UI double submit makes one turn).
 */
export async function claimMessages(db: D1Database, rows: ChatMessageRow[]): Promise<Set<string>> {
	if (rows.length === 0) return new Set();
	const statement = db.prepare(
		`INSERT INTO chat_messages (id, chat_id, turn_id, role, content, tool_name, tool_args, created_at, ordinal)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		 ON CONFLICT (id) DO NOTHING RETURNING id`,
	);
	const results = await db.batch<{ id: string }>(
		rows.map((r) =>
			statement.bind(r.id, r.chat_id, r.turn_id, r.role, r.content, r.tool_name, r.tool_args, r.created_at, r.ordinal),
		),
	);
	return new Set(results.flatMap((r) => r.results.map((row) => row.id)));
}

/** Takes back rows a turn claimed (`claimMessages`) when the turn was never made; only that turn's. */
export async function releaseMessages(db: D1Database, turnId: string, ids: string[]): Promise<void> {
	for (let i = 0; i < ids.length; i += 90) {
		const chunk = ids.slice(i, i + 90);
		await db
			.prepare(`DELETE FROM chat_messages WHERE turn_id = ? AND id IN (${chunk.map(() => "?").join(", ")})`)
			.bind(turnId, ...chunk)
			.run();
	}
}

/** The stored rows among these ids (id, turn and when it was written), in the order of `ids`. */
export async function messageOwners(
	db: D1Database,
	chatId: string,
	ids: string[],
): Promise<{ id: string; turn_id: string | null; created_at: number }[]> {
	const found = new Map<string, { id: string; turn_id: string | null; created_at: number }>();
	for (let i = 0; i < ids.length; i += 90) {
		const chunk = ids.slice(i, i + 90);
		const { results } = await db
			.prepare(
				`SELECT id, turn_id, created_at FROM chat_messages WHERE chat_id = ? AND id IN (${chunk.map(() => "?").join(", ")})`,
			)
			.bind(chatId, ...chunk)
			.all<{ id: string; turn_id: string | null; created_at: number }>();
		for (const r of results) found.set(r.id, r);
	}
	return ids.flatMap((id) => found.get(id) ?? []);
}

export interface HistoryCursor {
	createdAt: number;
	ordinal: number;
	id: string;
}

/** A page of history ending before `before` (newest page first), returned oldest first. */
export async function historyPage(
	db: D1Database,
	chatId: string,
	limit: number,
	before?: HistoryCursor,
): Promise<ChatMessageRow[]> {
	const where = before ? "AND (created_at, ordinal, id) < (?, ?, ?)" : "";
	const args = before ? [before.createdAt, before.ordinal, before.id] : [];
	const { results } = await db
		.prepare(
			`SELECT * FROM chat_messages WHERE chat_id = ? ${where} ORDER BY created_at DESC, ordinal DESC, id DESC LIMIT ?`,
		)
		.bind(chatId, ...args, limit)
		.all<ChatMessageRow>();
	return results.reverse();
}

/**
 * The history a turn sees: the last `limit` rows of turns that began before it (not its own,
 * and not messages queued behind it), oldest first.
 */
export async function recentMessages(
	db: D1Database,
	chatId: string,
	turn: { id: string; created_at: number },
	limit: number,
): Promise<ChatMessageRow[]> {
	const { results } = await db
		.prepare(
			`SELECT * FROM chat_messages WHERE chat_id = ? AND created_at <= ? AND (turn_id IS NULL OR turn_id != ?)
			 ORDER BY created_at DESC, ordinal DESC, id DESC LIMIT ?`,
		)
		.bind(chatId, turn.created_at, turn.id, limit)
		.all<ChatMessageRow>();
	return results.reverse();
}

/** The rows one turn has written so far (an earlier attempt's, when a paused turn resumes). */
export async function turnMessages(db: D1Database, turnId: string): Promise<ChatMessageRow[]> {
	const { results } = await db
		.prepare("SELECT * FROM chat_messages WHERE turn_id = ? ORDER BY ordinal, id")
		.bind(turnId)
		.all<ChatMessageRow>();
	return results;
}
