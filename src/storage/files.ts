import type { SparkyFile } from "../protocol/index.ts";

/** A row of `files`. */
export interface FileRow {
	id: string;
	user_id: string;
	name: string;
	type: string;
	/** Bytes; while uploading, what the upload holds of its user's quota. */
	size: number;
	sha256: string | null;
	status: "uploading" | "ready";
	/** JSON (pages, width, height…), or null. */
	meta: string | null;
	extracted_at: number | null;
	attached_at: number | null;
	created_at: number;
}

const COLUMNS = "id, user_id, name, type, size, sha256, status, meta, extracted_at, attached_at, created_at";

/** A row as the API shows it. */
export function toFile(row: FileRow): SparkyFile {
	return {
		id: row.id,
		name: row.name,
		type: row.type,
		size: row.size,
		sha256: row.sha256 ?? "",
		created_at: row.created_at,
		attached: row.attached_at !== null,
	};
}

export interface Reservation {
	id: string;
	user_id: string;
	name: string;
	type: string;
	/** Bytes held of the quota until the upload ends. */
	size: number;
	created_at: number;
}

/**
 * Holds `size` bytes of the user's quota for an upload: inserts its row ('uploading') only if
 * everything the user has (uploads in progress included, and the workspace: one quota for
 * both) plus `size` stays within `quota`.
 * One statement, so parallel uploads can't pass the quota together. Null when refused.
 */
export async function reserveUpload(db: D1Database, row: Reservation, quota: number): Promise<FileRow | null> {
	return db
		.prepare(
			`INSERT INTO files (id, user_id, name, type, size, status, created_at)
			 SELECT ?, ?, ?, ?, ?, 'uploading', ?
			 WHERE (SELECT coalesce(sum(size), 0) FROM files WHERE user_id = ?)
			   + (SELECT coalesce(sum(size), 0) FROM workspace_files WHERE user_id = ?) + ? <= ?
			 RETURNING ${COLUMNS}`,
		)
		.bind(row.id, row.user_id, row.name, row.type, row.size, row.created_at, row.user_id, row.user_id, row.size, quota)
		.first<FileRow>();
}

/** Bytes the user's quota holds: uploads (in progress at what they reserved) and the workspace. */
export async function usedBytes(db: D1Database, userId: string): Promise<number> {
	const row = await db
		.prepare(
			`SELECT (SELECT coalesce(sum(size), 0) FROM files WHERE user_id = ?)
			      + (SELECT coalesce(sum(size), 0) FROM workspace_files WHERE user_id = ?) AS n`,
		)
		.bind(userId, userId)
		.first<{ n: number }>();
	return row?.n ?? 0;
}

/** An upload's real name, type, size and hash: the file is ready. Null when its row is gone (swept). */
export async function completeUpload(
	db: D1Database,
	id: string,
	done: { name: string; type: string; size: number; sha256: string },
): Promise<FileRow | null> {
	return db
		.prepare(
			`UPDATE files SET name = ?, type = ?, size = ?, sha256 = ?, status = 'ready'
			 WHERE id = ? AND status = 'uploading' RETURNING ${COLUMNS}`,
		)
		.bind(done.name, done.type, done.size, done.sha256, id)
		.first<FileRow>();
}

/** Drops an upload that failed (its reservation with it). */
export async function dropUpload(db: D1Database, id: string): Promise<void> {
	await db.prepare("DELETE FROM files WHERE id = ? AND status = 'uploading'").bind(id).run();
}

/** The user's ready file (an upload in progress is not one yet). */
export async function getFileRow(db: D1Database, userId: string, id: string): Promise<FileRow | null> {
	return db
		.prepare(`SELECT ${COLUMNS} FROM files WHERE user_id = ? AND id = ? AND status = 'ready'`)
		.bind(userId, id)
		.first<FileRow>();
}

/** The user's ready files among `ids` (any order; missing ones are left out). */
export async function getFileRows(db: D1Database, userId: string, ids: string[]): Promise<FileRow[]> {
	if (ids.length === 0) return [];
	const { results } = await db
		.prepare(
			`SELECT ${COLUMNS} FROM files WHERE user_id = ? AND status = 'ready'
			 AND id IN (SELECT value FROM json_each(?))`,
		)
		.bind(userId, JSON.stringify(ids))
		.all<FileRow>();
	return results;
}

/** Newest first, after `before` (a page's last `[created_at, id]`); ready files only. */
export async function listFileRows(
	db: D1Database,
	userId: string,
	limit: number,
	before?: { at: number; id: string },
): Promise<FileRow[]> {
	const page = before ? " AND (created_at < ? OR (created_at = ? AND id < ?))" : "";
	const { results } = await db
		.prepare(
			`SELECT ${COLUMNS} FROM files WHERE user_id = ? AND status = 'ready'${page}
			 ORDER BY created_at DESC, id DESC LIMIT ?`,
		)
		.bind(userId, ...(before ? [before.at, before.at, before.id] : []), limit)
		.all<FileRow>();
	return results;
}

/** Deletes the user's ready file; false when there is none of that id. */
export async function deleteFileRow(db: D1Database, userId: string, id: string): Promise<boolean> {
	const row = await db
		.prepare("DELETE FROM files WHERE user_id = ? AND id = ? AND status = 'ready' RETURNING id")
		.bind(userId, id)
		.first<{ id: string }>();
	return row !== null;
}

/**
 * Marks the user's ready files among `ids` attached (the first time only: `attached_at`
 * keeps the first attachment), so they no longer expire. The number of files that are the
 * user's and ready, attached before or now.
 */
export async function markFilesAttached(db: D1Database, userId: string, ids: string[], now: number): Promise<number> {
	if (ids.length === 0) return 0;
	const { meta } = await db
		.prepare(
			`UPDATE files SET attached_at = coalesce(attached_at, ?)
			 WHERE user_id = ? AND status = 'ready' AND id IN (SELECT value FROM json_each(?))`,
		)
		.bind(now, userId, JSON.stringify(ids))
		.run();
	return meta.changes;
}

/** Records that a file's text was extracted (its `.txt` object exists), with what was learnt (`meta`). */
export async function markExtracted(
	db: D1Database,
	userId: string,
	id: string,
	now: number,
	meta?: Record<string, unknown>,
): Promise<void> {
	await db
		.prepare("UPDATE files SET extracted_at = ?, meta = coalesce(?, meta) WHERE user_id = ? AND id = ?")
		.bind(now, meta === undefined ? null : JSON.stringify(meta), userId, id)
		.run();
}

/**
 * Deletes up to `limit` expired rows and says whose they were: uploads attached to nothing
 * made before `unattachedBefore`, and uploads still in progress made before `stuckBefore`.
 * The condition is checked again by the DELETE itself, so a file attached meanwhile stays.
 */
export async function deleteExpiredFileRows(
	db: D1Database,
	cutoffs: { unattachedBefore: number; stuckBefore: number },
	limit: number,
): Promise<{ id: string; user_id: string }[]> {
	const expired = `attached_at IS NULL AND (created_at < ? OR (status = 'uploading' AND created_at < ?))`;
	const { results } = await db
		.prepare(
			`DELETE FROM files WHERE ${expired} AND id IN (
			   SELECT id FROM files WHERE ${expired} ORDER BY created_at LIMIT ?
			 ) RETURNING id, user_id`,
		)
		.bind(cutoffs.unattachedBefore, cutoffs.stuckBefore, cutoffs.unattachedBefore, cutoffs.stuckBefore, limit)
		.all<{ id: string; user_id: string }>();
	return results;
}
