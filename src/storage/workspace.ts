/**
 * A user's workspace (issue #25): the bytes of each file in R2, its row in D1 (path, size,
 * type, sha256). Every write puts a new object under a fresh key, then points the row at it,
 * then deletes the object it replaced; a crash between two steps leaves an object no row
 * points at, which workspace_garbage remembers and the next call (or `sweepWorkspaceGarbage`)
 * deletes. So a row never names missing or half-written bytes. Rows written before #25 keep
 * their text inline until moved (`moveInline`, the first time a file is read or appended to).
 */
import { collectGarbage, dropObject, newObjectKey, putBytes, putStream } from "./workspace-objects.ts";
import {
	deleteRow,
	type Expected,
	fileRow,
	inlineContent,
	listRows,
	markMoved,
	notePending,
	pointAt,
	usageOf,
	type WorkspaceLimits,
	type WorkspaceRow,
} from "./workspace-rows.ts";

export { collectGarbage } from "./workspace-objects.ts";
export type { Expected, WorkspaceLimits, WorkspaceRow } from "./workspace-rows.ts";

type Stores = { DB: D1Database; FILES: R2Bucket };

export const WELCOME_README = `# Your Sparky workspace

This is the agent's workspace for your account: a private folder of files, text or not.
Ask the agent to list, read, write or delete files here, for example:

- "List files in the workspace and summarise README.md"
- "Write notes/todo.md with: buy milk"
- "Fetch https://example.com and save a summary to example.md"

A file you attach to a message can be saved here too. The agent reads text files and is told
what any other file is (its type, size, an image's dimensions).
`;

/** The seed README is written whatever the limits (the workspace is new, and it is small). */
const NO_LIMITS: WorkspaceLimits = {
	fileBytes: Number.MAX_SAFE_INTEGER,
	files: Number.MAX_SAFE_INTEGER,
	quotaBytes: Number.MAX_SAFE_INTEGER,
};

/** Seeds a workspace with its README the first time it is used (once, even if the README is later deleted). */
export async function ensureWorkspace(env: Stores, userId: string, now: number): Promise<void> {
	const created = await env.DB.prepare(
		"INSERT INTO workspaces (user_id, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING RETURNING user_id",
	)
		.bind(userId, now)
		.first();
	if (created) {
		const bytes = new TextEncoder().encode(WELCOME_README);
		await saveFile(env, userId, "README.md", { bytes }, "text/markdown", NO_LIMITS, now);
	}
}

/** Files under a literal path prefix (`notes/`), by path. */
export function listFiles(db: D1Database, userId: string, prefix = ""): Promise<WorkspaceRow[]> {
	return listRows(db, userId, prefix);
}

/** One file's row, or null. */
export function statFile(db: D1Database, userId: string, path: string): Promise<WorkspaceRow | null> {
	return fileRow(db, userId, path);
}

/** The bytes of a file in R2, whole or a byte range; null when the object is missing (out of step). */
export async function openObject(
	bucket: R2Bucket,
	objectKey: string,
	range?: { offset: number; length: number },
): Promise<ReadableStream<Uint8Array> | null> {
	const object = await bucket.get(objectKey, range ? { range } : undefined);
	return object?.body ?? null;
}

/** An inline row's text (written before #25), or null when it is not (any more) inline. */
export function readInline(
	db: D1Database,
	userId: string,
	path: string,
): Promise<{ content: string; updated_at: number } | null> {
	return inlineContent(db, userId, path);
}

/** Files and bytes of the workspace, and of the user's uploads (which share its quota). */
export function usage(db: D1Database, userId: string): Promise<{ files: number; bytes: number; uploadBytes: number }> {
	return usageOf(db, userId);
}

/** What is written: bytes in memory, or a stream of exactly `size` bytes. */
export type Source = { bytes: Uint8Array } | { stream: ReadableStream<Uint8Array>; size: number };

export type SaveResult =
	| { ok: true; created: boolean; size: number; sha256: string; type: string }
	| { ok: false; reason: "too_large" | "files" | "quota" | "changed"; size: number };

const sizeOf = (source: Source) => ("bytes" in source ? source.bytes.byteLength : source.size);

/**
 * Creates or replaces a file. The limits are checked before any byte is stored, and again,
 * atomically, when the row is pointed at the new object. `expected`: the version of the row
 * the caller read (an append), or the write fails as `changed`.
 */
export async function saveFile(
	env: Stores,
	userId: string,
	path: string,
	source: Source,
	type: string,
	limits: WorkspaceLimits,
	now: number,
	expected?: Expected,
): Promise<SaveResult> {
	const size = sizeOf(source);
	const refuse = async (reason: "too_large" | "files" | "quota" | "changed"): Promise<SaveResult> => {
		if ("stream" in source) await source.stream.cancel().catch(() => undefined);
		return { ok: false, reason, size };
	};
	if (size > limits.fileBytes) return refuse("too_large");
	const early = await precheck(env.DB, userId, path, size, limits);
	if (typeof early === "string") return refuse(early);

	const key = newObjectKey(userId);
	await notePending(env.DB, userId, key, now);
	let written: { size: number; sha256: string };
	try {
		written =
			"bytes" in source
				? await putBytes(env.FILES, key, source.bytes, type)
				: await putStream(env.FILES, key, source.stream, source.size, type);
	} catch (error) {
		await dropObject(env, key).catch(() => undefined);
		throw error;
	}
	const row = { path, object_key: key, size, type, sha256: written.sha256, updated_at: now };
	const pointed = await pointAt(env.DB, userId, row, limits, { existed: early.existed, expected });
	if (!pointed.ok) {
		// Should this fail too, the object stays pending garbage, deleted after the grace.
		await dropObject(env, key).catch(() => undefined);
		return { ok: false, reason: pointed.reason, size };
	}
	return { ok: true, created: pointed.created, size, sha256: written.sha256, type };
}

/** A limit a write would pass, judged from what D1 holds now (the write itself checks again). */
async function precheck(
	db: D1Database,
	userId: string,
	path: string,
	size: number,
	limits: WorkspaceLimits,
): Promise<"files" | "quota" | { existed: boolean }> {
	const [used, existing] = await Promise.all([usageOf(db, userId), fileRow(db, userId, path)]);
	if (existing === null && used.files >= limits.files) return "files";
	const growth = size - (existing?.size ?? 0);
	if (growth > 0 && used.bytes + used.uploadBytes + growth > limits.quotaBytes) return "quota";
	return { existed: existing !== null };
}

/**
 * Moves an inline row's text (written before #25) to R2. The row is switched only if it still
 * holds what was copied; otherwise someone wrote it meanwhile, their write stands and the copy
 * is dropped. Returns whether it moved.
 */
export async function moveInline(
	env: Stores,
	userId: string,
	path: string,
	copied: { content: string; updated_at: number },
	type: string,
	now: number,
): Promise<boolean> {
	const key = newObjectKey(userId);
	await notePending(env.DB, userId, key, now);
	const written = await putBytes(env.FILES, key, new TextEncoder().encode(copied.content), type);
	const moved = await markMoved(env.DB, userId, path, copied, { object_key: key, type, ...written });
	if (!moved) await dropObject(env, key);
	return moved;
}

/** Deletes a file's row; its object is garbage from then on (`collectGarbage` deletes it). */
export function deleteFile(db: D1Database, userId: string, path: string): Promise<boolean> {
	return deleteRow(db, userId, path);
}

/** The minute tick's share: objects no row points at, anyone's, a bounded number per call. */
export function sweepWorkspaceGarbage(env: Stores, now: number, limit = 200): Promise<number> {
	return collectGarbage(env, now, { limit });
}
