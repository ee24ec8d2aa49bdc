/**
 * A user's files: read, list, delete; and what attachments (`attachments*.ts`, `extract*.ts`)
 * build on: a file row by id, its bytes, marking files attached, its extracted text. Every
 * lookup is scoped to the owner: another user's file is as missing as one that never was.
 */
import { notFound } from "../errors.ts";
import type { SparkyFile } from "../protocol/index.ts";
import {
	deleteFileRow,
	type FileRow,
	getFileRow,
	getFileRows,
	listFileRows,
	markExtracted,
	markFilesAttached,
	toFile,
} from "../storage/files.ts";
import { decodeTimeIdCursor, encodeCursor } from "../storage/page-cursor.ts";
import { deleteObjects, fileKey, openObject, textKey } from "./objects.ts";

/** The owner's ready file, or 404. */
export async function ownFileRow(env: Env, userId: string, id: string): Promise<FileRow> {
	const row = await getFileRow(env.DB, userId, id);
	if (!row) throw notFound(`file ${id}`);
	return row;
}

export async function ownFile(env: Env, userId: string, id: string): Promise<SparkyFile> {
	return toFile(await ownFileRow(env, userId, id));
}

export interface FilePage {
	files: SparkyFile[];
	next_cursor: string | null;
}

/** A page of the user's files, newest first. */
export async function listFiles(
	env: Env,
	userId: string,
	query: { limit: number; cursor?: string },
): Promise<FilePage> {
	const before = query.cursor ? decodeTimeIdCursor(query.cursor) : undefined;
	const rows = await listFileRows(env.DB, userId, query.limit + 1, before);
	const page = rows.slice(0, query.limit);
	const last = page.at(-1);
	return {
		files: page.map(toFile),
		next_cursor: rows.length > query.limit && last ? encodeCursor([last.created_at, last.id]) : null,
	};
}

/** Deletes the user's file: its row (and so its attachments), its bytes and its extracted text. 404 when none. */
export async function deleteFile(env: Env, userId: string, id: string): Promise<void> {
	if (!(await deleteFileRow(env.DB, userId, id))) throw notFound(`file ${id}`);
	await deleteObjects(env.FILES, [fileKey(userId, id), textKey(userId, id)]);
}

/**
 * Checks that every id is a ready file of the user's (404 naming the first that isn't) and
 * marks them attached, so they no longer expire. The rows, in the order of `ids`.
 */
export async function attachFiles(env: Env, userId: string, ids: string[], now = Date.now()): Promise<FileRow[]> {
	const rows = await getFileRows(env.DB, userId, ids);
	const byId = new Map(rows.map((r) => [r.id, r]));
	const missing = ids.find((id) => !byId.has(id));
	if (missing !== undefined) throw notFound(`file ${missing}`);
	await markFilesAttached(env.DB, userId, ids, now);
	return ids.map((id) => {
		const row = byId.get(id) as FileRow;
		return { ...row, attached_at: row.attached_at ?? now };
	});
}

/** A file's bytes from R2 (a range of them, when given); 404 when its object is missing. */
export async function openFileBytes(env: Env, row: FileRow, range?: R2Range): Promise<R2ObjectBody> {
	const object = await openObject(env.FILES, fileKey(row.user_id, row.id), range);
	if (!object) throw notFound(`the bytes of file ${row.id}`);
	return object;
}

/** Keeps a file's extracted text beside its bytes, and records it (with what was learnt, `meta`). */
export async function writeExtractedText(
	env: Env,
	row: FileRow,
	text: string,
	meta?: Record<string, unknown>,
	now = Date.now(),
): Promise<void> {
	await env.FILES.put(textKey(row.user_id, row.id), text, {
		httpMetadata: { contentType: "text/plain; charset=utf-8" },
	});
	await markExtracted(env.DB, row.user_id, row.id, now, meta);
}

/** A file's extracted text, or null when none was kept. */
export async function readExtractedText(env: Env, row: FileRow): Promise<string | null> {
	const object = await env.FILES.get(textKey(row.user_id, row.id));
	return object ? object.text() : null;
}

/**
 * Deletes every object of a user's files (their rows go by ON DELETE CASCADE with the user).
 * For the user deletion that doesn't exist yet: R2 has no cascade.
 */
export async function deleteUserObjects(env: Env, userId: string): Promise<number> {
	let deleted = 0;
	let cursor: string | undefined;
	do {
		const listed = await env.FILES.list({ prefix: `files/${userId}/`, cursor, limit: 1000 });
		await deleteObjects(
			env.FILES,
			listed.objects.map((o) => o.key),
		);
		deleted += listed.objects.length;
		cursor = listed.truncated ? listed.cursor : undefined;
	} while (cursor);
	return deleted;
}
