import type { MemorySourceKind } from "../protocol/index.ts";

/** A row of `memories` (tags as stored: a JSON array). */
export interface MemoryRow {
	id: string;
	user_id: string;
	text: string;
	tags: string;
	pinned: number;
	source_kind: MemorySourceKind;
	source_id: string | null;
	source_chat_id: string | null;
	created_at: number;
	updated_at: number;
	recalled_at: number | null;
}

export type NewMemoryRow = Omit<MemoryRow, "recalled_at">;

const COLUMNS =
	"id, user_id, text, tags, pinned, source_kind, source_id, source_chat_id, created_at, updated_at, recalled_at";

/**
 * Inserts a memory unless its user already has `cap` (one statement, so parallel inserts
 * can't pass the cap together). Null when refused.
 */
export function insertMemoryStatement(db: D1Database, row: NewMemoryRow, cap: number): D1PreparedStatement {
	return db
		.prepare(
			`INSERT INTO memories (id, user_id, text, tags, pinned, source_kind, source_id, source_chat_id, created_at, updated_at)
			 SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
			 WHERE (SELECT count(*) FROM memories WHERE user_id = ?) < ?
			 RETURNING ${COLUMNS}`,
		)
		.bind(
			row.id,
			row.user_id,
			row.text,
			row.tags,
			row.pinned,
			row.source_kind,
			row.source_id,
			row.source_chat_id,
			row.created_at,
			row.updated_at,
			row.user_id,
			cap,
		);
}

export async function insertMemory(db: D1Database, row: NewMemoryRow, cap: number): Promise<MemoryRow | null> {
	return insertMemoryStatement(db, row, cap).first<MemoryRow>();
}

export async function countMemories(db: D1Database, userId: string): Promise<number> {
	const row = await db
		.prepare("SELECT count(*) AS n FROM memories WHERE user_id = ?")
		.bind(userId)
		.first<{ n: number }>();
	return row?.n ?? 0;
}

export async function getMemoryRow(db: D1Database, userId: string, id: string): Promise<MemoryRow | null> {
	return db.prepare(`SELECT ${COLUMNS} FROM memories WHERE user_id = ? AND id = ?`).bind(userId, id).first<MemoryRow>();
}

export interface MemoryFilter {
	tag?: string;
	pinned?: boolean;
}

function filterSql(filter: MemoryFilter, alias = "memories"): { sql: string; binds: unknown[] } {
	const parts: string[] = [];
	const binds: unknown[] = [];
	if (filter.tag !== undefined) {
		parts.push(`EXISTS (SELECT 1 FROM json_each(${alias}.tags) WHERE json_each.value = ?)`);
		binds.push(filter.tag);
	}
	if (filter.pinned !== undefined) {
		parts.push(`${alias}.pinned = ?`);
		binds.push(filter.pinned ? 1 : 0);
	}
	return { sql: parts.map((p) => ` AND ${p}`).join(""), binds };
}

/** Newest first, after `before` (a page's last `[created_at, id]`). */
export async function listMemoryRows(
	db: D1Database,
	userId: string,
	filter: MemoryFilter,
	limit: number,
	before?: { at: number; id: string },
): Promise<MemoryRow[]> {
	const f = filterSql(filter);
	const page = before ? " AND (created_at < ? OR (created_at = ? AND id < ?))" : "";
	const pageBinds = before ? [before.at, before.at, before.id] : [];
	const { results } = await db
		.prepare(
			`SELECT ${COLUMNS} FROM memories WHERE user_id = ?${f.sql}${page} ORDER BY created_at DESC, id DESC LIMIT ?`,
		)
		.bind(userId, ...f.binds, ...pageBinds, limit)
		.all<MemoryRow>();
	return results;
}

/** A row found by full-text search, with its bm25 rank (lower is better). */
export type RankedMemoryRow = MemoryRow & { rank: number };

/**
 * Full-text matches of an FTS5 expression (built by `ftsQuery`, never user text), best
 * bm25 first (text weighs twice what tags do).
 */
export async function matchMemoryRows(
	db: D1Database,
	userId: string,
	expression: string,
	filter: MemoryFilter,
	limit: number,
): Promise<RankedMemoryRow[]> {
	const f = filterSql(filter, "m");
	const { results } = await db
		.prepare(
			`SELECT ${COLUMNS.split(", ")
				.map((c) => `m.${c}`)
				.join(", ")}, bm25(memories_fts, 2.0, 1.0) AS rank
			 FROM memories_fts JOIN memories m ON m.pk = memories_fts.rowid
			 WHERE memories_fts MATCH ? AND m.user_id = ?${f.sql}
			 ORDER BY rank LIMIT ?`,
		)
		.bind(expression, userId, ...f.binds, limit)
		.all<RankedMemoryRow>();
	return results;
}

/**
 * Memories containing `text` as a plain substring (ASCII case aside), for scripts FTS5 doesn't
 * split into words. `instr`, not LIKE: nothing in `text` is a wildcard, and D1 refuses LIKE
 * patterns over 50 bytes.
 */
export async function substringMemoryRows(
	db: D1Database,
	userId: string,
	text: string,
	filter: MemoryFilter,
	limit: number,
): Promise<MemoryRow[]> {
	const f = filterSql(filter);
	const { results } = await db
		.prepare(
			`SELECT ${COLUMNS} FROM memories WHERE user_id = ? AND instr(lower(text), lower(?)) > 0${f.sql}
			 ORDER BY created_at DESC, id DESC LIMIT ?`,
		)
		.bind(userId, text, ...f.binds, limit)
		.all<MemoryRow>();
	return results;
}

/** Pinned memories, most recently updated first. */
export async function pinnedMemoryRows(db: D1Database, userId: string, limit: number): Promise<MemoryRow[]> {
	const { results } = await db
		.prepare(`SELECT ${COLUMNS} FROM memories WHERE user_id = ? AND pinned = 1 ORDER BY updated_at DESC LIMIT ?`)
		.bind(userId, limit)
		.all<MemoryRow>();
	return results;
}

export async function updateMemoryRow(
	db: D1Database,
	userId: string,
	id: string,
	patch: { text?: string; tags?: string; pinned?: number },
	now: number,
): Promise<MemoryRow | null> {
	return db
		.prepare(
			`UPDATE memories SET text = coalesce(?, text), tags = coalesce(?, tags), pinned = coalesce(?, pinned), updated_at = ?
			 WHERE user_id = ? AND id = ? RETURNING ${COLUMNS}`,
		)
		.bind(patch.text ?? null, patch.tags ?? null, patch.pinned ?? null, now, userId, id)
		.first<MemoryRow>();
}

export async function deleteMemoryRow(db: D1Database, userId: string, id: string): Promise<boolean> {
	const result = await db.prepare("DELETE FROM memories WHERE user_id = ? AND id = ?").bind(userId, id).run();
	return result.meta.changes > 0;
}

/** Marks memories as given to a run (for "last recalled"). */
export async function markRecalled(db: D1Database, userId: string, ids: readonly string[], now: number): Promise<void> {
	if (ids.length === 0) return;
	await db
		.prepare(`UPDATE memories SET recalled_at = ? WHERE user_id = ? AND id IN (SELECT value FROM json_each(?))`)
		.bind(now, userId, JSON.stringify(ids))
		.run();
}

/** The user's memory with exactly this text, if any (saving the same thing twice keeps one). */
export async function findMemoryByText(db: D1Database, userId: string, text: string): Promise<MemoryRow | null> {
	return db
		.prepare(`SELECT ${COLUMNS} FROM memories WHERE user_id = ? AND text = ? LIMIT 1`)
		.bind(userId, text)
		.first<MemoryRow>();
}

/** The user's memories of these ids that pass the filter (another user's ids find nothing). */
export async function memoryRowsByIds(
	db: D1Database,
	userId: string,
	ids: readonly string[],
	filter: MemoryFilter,
): Promise<MemoryRow[]> {
	if (ids.length === 0) return [];
	const f = filterSql(filter);
	const { results } = await db
		.prepare(`SELECT ${COLUMNS} FROM memories WHERE user_id = ? AND id IN (SELECT value FROM json_each(?))${f.sql}`)
		.bind(userId, JSON.stringify(ids), ...f.binds)
		.all<MemoryRow>();
	return results;
}

/** Which of these texts the user already has as memories. */
export async function knownTexts(db: D1Database, userId: string, texts: readonly string[]): Promise<Set<string>> {
	if (texts.length === 0) return new Set();
	const { results } = await db
		.prepare("SELECT text FROM memories WHERE user_id = ? AND text IN (SELECT value FROM json_each(?))")
		.bind(userId, JSON.stringify(texts))
		.all<{ text: string }>();
	return new Set(results.map((r) => r.text));
}
