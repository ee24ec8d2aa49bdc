/**
 * The workspace's D1 side: one row per file (`workspace_files`), and the R2 objects no row
 * points at (`workspace_garbage`, kept by triggers: migrations/0013_workspace_r2.sql). A row
 * with an `object_key` has its bytes in R2; one without is inline text the code before #25
 * wrote, in `content`.
 */

/** A file as listed: no content. `type` and `sha256` are null on an inline row. */
export interface WorkspaceRow {
	path: string;
	size: number;
	type: string | null;
	sha256: string | null;
	object_key: string | null;
	updated_at: number;
}

/** What a write may take: from settings (the tools read them; storage reads none). */
export interface WorkspaceLimits {
	/** One file at most, in bytes. */
	fileBytes: number;
	/** Files in one workspace at most. */
	files: number;
	/** A user's uploads and workspace together, in bytes (SPARKY_FILES_QUOTA_MB). */
	quotaBytes: number;
}

/**
 * What the code before #25 reads from `content` of a row whose bytes are in R2 (during a
 * deploy, both run): words that say so, rather than an empty file.
 */
export const MOVED_CONTENT =
	"(This file is kept in R2 by a newer version of Sparky, being deployed now: read it again in a minute.)";

const COLUMNS = "path, size, type, sha256, object_key, updated_at";

export async function listRows(db: D1Database, userId: string, prefix: string): Promise<WorkspaceRow[]> {
	const { results } = await db
		.prepare(`SELECT ${COLUMNS} FROM workspace_files WHERE user_id = ? AND substr(path, 1, ?) = ? ORDER BY path`)
		.bind(userId, prefix.length, prefix)
		.all<WorkspaceRow>();
	return results;
}

export async function fileRow(db: D1Database, userId: string, path: string): Promise<WorkspaceRow | null> {
	return db
		.prepare(`SELECT ${COLUMNS} FROM workspace_files WHERE user_id = ? AND path = ?`)
		.bind(userId, path)
		.first<WorkspaceRow>();
}

/** An inline row's text (null when the row is gone or already in R2). */
export async function inlineContent(
	db: D1Database,
	userId: string,
	path: string,
): Promise<{ content: string; updated_at: number } | null> {
	return db
		.prepare("SELECT content, updated_at FROM workspace_files WHERE user_id = ? AND path = ? AND object_key IS NULL")
		.bind(userId, path)
		.first<{ content: string; updated_at: number }>();
}

/** Files and bytes of a workspace, and the bytes of the user's uploads (one quota for both). */
export async function usageOf(
	db: D1Database,
	userId: string,
): Promise<{ files: number; bytes: number; uploadBytes: number }> {
	const row = await db
		.prepare(
			`SELECT count(*) AS files, coalesce(sum(size), 0) AS bytes,
			        (SELECT coalesce(sum(size), 0) FROM files WHERE user_id = ?1) AS uploadBytes
			 FROM workspace_files WHERE user_id = ?1`,
		)
		.bind(userId)
		.first<{ files: number; bytes: number; uploadBytes: number }>();
	return row ?? { files: 0, bytes: 0, uploadBytes: 0 };
}

/** Records an object about to be written: garbage unless a row claims it (a trigger removes it then). */
export async function notePending(db: D1Database, userId: string, objectKey: string, now: number): Promise<void> {
	await db
		.prepare("INSERT INTO workspace_garbage (object_key, user_id, pending, created_at) VALUES (?, ?, 1, ?)")
		.bind(objectKey, userId, now)
		.run();
}

export interface ObjectRow {
	path: string;
	object_key: string;
	size: number;
	type: string;
	sha256: string;
	updated_at: number;
}

/** The version of a row a write read (an append): the write fails (`changed`) if the row is another by then. */
export interface Expected {
	object_key: string | null;
	updated_at: number;
}

export type PointResult = { ok: true; created: boolean } | { ok: false; reason: "files" | "quota" | "changed" };

/**
 * Points a row at a written object, in one statement that also checks the limits against
 * what D1 holds at that moment (parallel writes can't overrun them) and, when `expected` is
 * given, that the row is still the one the caller read. A write that doesn't grow its file
 * passes the quota even when the user is over it (a lowered quota still lets files shrink).
 * The object it replaces becomes garbage (trigger). `existed`: whether the caller saw a row
 * there (what `created` answers; a race can make it wrong, never the data).
 */
export async function pointAt(
	db: D1Database,
	userId: string,
	row: ObjectRow,
	limits: WorkspaceLimits,
	{ existed, expected }: { existed: boolean; expected?: Expected },
): Promise<PointResult> {
	const guard = expected ? "WHERE workspace_files.object_key IS ?10 AND workspace_files.updated_at = ?11" : "";
	const result = await db
		.prepare(
			`INSERT INTO workspace_files (user_id, path, content, size, updated_at, object_key, type, sha256)
			 SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8
			 WHERE (EXISTS (SELECT 1 FROM workspace_files WHERE user_id = ?1 AND path = ?2)
			        OR (SELECT count(*) FROM workspace_files WHERE user_id = ?1) < ?9)
			   AND ((SELECT coalesce(sum(size), 0) FROM workspace_files WHERE user_id = ?1 AND path <> ?2)
			          + (SELECT coalesce(sum(size), 0) FROM files WHERE user_id = ?1) + ?4 <= ?12
			        OR ?4 <= (SELECT size FROM workspace_files WHERE user_id = ?1 AND path = ?2))
			 ON CONFLICT (user_id, path) DO UPDATE SET content = excluded.content, size = excluded.size,
			   updated_at = excluded.updated_at, object_key = excluded.object_key, type = excluded.type,
			   sha256 = excluded.sha256 ${guard}`,
		)
		.bind(
			userId,
			row.path,
			MOVED_CONTENT,
			row.size,
			row.updated_at,
			row.object_key,
			row.type,
			row.sha256,
			limits.files,
			expected?.object_key ?? null,
			expected?.updated_at ?? 0,
			limits.quotaBytes,
		)
		.run();
	if ((result.meta.changes ?? 0) > 0) return { ok: true, created: !existed };
	return { ok: false, reason: await whyRefused(db, userId, row.path, limits, expected) };
}

async function whyRefused(
	db: D1Database,
	userId: string,
	path: string,
	limits: WorkspaceLimits,
	expected?: Expected,
): Promise<"files" | "quota" | "changed"> {
	const now = await fileRow(db, userId, path);
	if (expected && (now === null || now.object_key !== expected.object_key || now.updated_at !== expected.updated_at))
		return "changed";
	const used = await usageOf(db, userId);
	return now === null && used.files >= limits.files ? "files" : "quota";
}

/**
 * Moves an inline row to its object, if the row is still the text that was copied: a write
 * of the code before #25 in between wins, and the copy is garbage (returns false).
 */
export async function markMoved(
	db: D1Database,
	userId: string,
	path: string,
	copied: { content: string; updated_at: number },
	object: { object_key: string; size: number; type: string; sha256: string },
): Promise<boolean> {
	const result = await db
		.prepare(
			`UPDATE workspace_files SET content = ?, size = ?, object_key = ?, type = ?, sha256 = ?
			 WHERE user_id = ? AND path = ? AND object_key IS NULL AND updated_at = ? AND content = ?`,
		)
		.bind(
			MOVED_CONTENT,
			object.size,
			object.object_key,
			object.type,
			object.sha256,
			userId,
			path,
			copied.updated_at,
			copied.content,
		)
		.run();
	return (result.meta.changes ?? 0) > 0;
}

export async function deleteRow(db: D1Database, userId: string, path: string): Promise<boolean> {
	const result = await db
		.prepare("DELETE FROM workspace_files WHERE user_id = ? AND path = ?")
		.bind(userId, path)
		.run();
	return (result.meta.changes ?? 0) > 0;
}

/** Objects safe to delete: dropped ones, and pending ones older than `pendingBefore`; one user's, or anyone's. */
export async function garbageKeys(
	db: D1Database,
	pendingBefore: number,
	limit: number,
	userId?: string,
): Promise<string[]> {
	const safe = "(pending = 0 OR created_at < ?)";
	const query =
		userId === undefined
			? db.prepare(`SELECT object_key FROM workspace_garbage WHERE ${safe} LIMIT ?`).bind(pendingBefore, limit)
			: db
					.prepare(`SELECT object_key FROM workspace_garbage WHERE user_id = ? AND ${safe} LIMIT ?`)
					.bind(userId, pendingBefore, limit);
	const { results } = await query.all<{ object_key: string }>();
	return results.map((r) => r.object_key);
}

/** Forgets garbage once its objects are deleted. */
export async function forgetGarbage(db: D1Database, keys: string[]): Promise<void> {
	if (keys.length === 0) return;
	const drop = db.prepare("DELETE FROM workspace_garbage WHERE object_key = ?");
	await db.batch(keys.map((key) => drop.bind(key)));
}
