/**
 * What the file tools (and save_to_workspace) share: the workspace's limits from settings, a
 * refused write in words, the move of a file written before #25 the first time it is touched,
 * and the tidying of objects no row points at after a write or a delete.
 */
import { filesConfig } from "../config.ts";
import { sniffType } from "../files/sniff.ts";
import { log } from "../log.ts";
import {
	collectGarbage,
	ensureWorkspace,
	moveInline,
	readInline,
	type SaveResult,
	saveFile,
	type WorkspaceLimits,
} from "../storage/workspace.ts";
import { normalizePath } from "./paths.ts";
import { fail, type ToolFailure } from "./types.ts";

/** The workspace's limits: SPARKY_WORKSPACE_FILE_MB, SPARKY_WORKSPACE_FILES, and the user's one quota of files. */
export function workspaceLimits(env: unknown): WorkspaceLimits {
	const files = filesConfig(env);
	return { fileBytes: files.workspaceFileBytes, files: files.workspaceFiles, quotaBytes: files.quotaBytes };
}

/** A refused write, in words the model can act on (each names the setting behind it). */
export function refusal(
	result: Extract<SaveResult, { ok: false }>,
	path: string,
	limits: WorkspaceLimits,
): ToolFailure {
	switch (result.reason) {
		case "too_large":
			return fail(
				`"${path}" would be ${result.size} bytes; a workspace file may be at most ${limits.fileBytes} (SPARKY_WORKSPACE_FILE_MB)`,
			);
		case "files":
			return fail(
				`the workspace already has ${limits.files} files, the limit (SPARKY_WORKSPACE_FILES); delete some first`,
			);
		case "quota":
			return fail(
				`no room for ${result.size} bytes: the user's files (uploads and workspace together) may take ${limits.quotaBytes} bytes (SPARKY_FILES_QUOTA_MB); delete some first`,
			);
		case "changed":
			return fail(`"${path}" changed while it was being written; read it and try again`);
	}
}

/** Text that isn't `text/*` by its type. */
const TEXT_TYPES = new Set(["application/json", "application/xml", "application/x-ndjson", "application/yaml"]);

/** Whether a file of this type is read as text (and not described): text/*, JSON, XML, SVG, YAML. */
export function isTextType(type: string): boolean {
	const base = type.split(";")[0]?.trim().toLowerCase() ?? "";
	return base.startsWith("text/") || TEXT_TYPES.has(base) || base.endsWith("+json") || base.endsWith("+xml");
}

/**
 * The type of a text by its bytes and name (uploads are judged the same way). With no bytes
 * at all, by the name alone: what `list_files` says of a file written before #25.
 */
export const typeOfText = (path: string, bytes: Uint8Array = new Uint8Array(0)): string => sniffType(bytes, true, path);

/**
 * The text of a file written before #25 (inline in D1), and its type, moved to R2 on the way:
 * the first touch moves it. Null when the file is not inline (any more). A move that fails
 * leaves the file inline and readable; the next touch tries again.
 */
export async function touchInline(
	env: Env,
	userId: string,
	path: string,
	now: number,
): Promise<{ content: string; updated_at: number; type: string } | null> {
	const inline = await readInline(env.DB, userId, path);
	if (!inline) return null;
	const type = typeOfText(path, new TextEncoder().encode(inline.content));
	try {
		await moveInline(env, userId, path, inline, type, now);
	} catch (error) {
		log.warn("workspace: moving an inline file to R2 failed", { userId, path, error });
	}
	return { ...inline, type };
}

/** Deletes a user's objects no row points at. Best effort: what fails now, the next call or the tick deletes. */
export async function tidy(env: Env, userId: string, now: number): Promise<void> {
	try {
		await collectGarbage(env, now, { userId, limit: 50 });
	} catch (error) {
		log.warn("workspace: deleting unreferenced objects failed", { userId, error });
	}
}

/**
 * Copies a file into the user's workspace from a stream of exactly `size` bytes (an upload:
 * save_to_workspace), streamed to R2, never held whole; `type` is the upload's sniffed type.
 * Creates or replaces `path`, within the workspace's limits; the answer is the tool's.
 */
export async function copyIntoWorkspace(
	env: Env,
	userId: string,
	rawPath: string,
	body: ReadableStream<Uint8Array>,
	size: number,
	type: string,
	now = Date.now(),
): Promise<{ path: string; size: number; type: string; sha256: string; created: boolean } | ToolFailure> {
	const checked = normalizePath(rawPath);
	if (!checked.ok) {
		await body.cancel().catch(() => undefined);
		return fail(checked.reason);
	}
	await ensureWorkspace(env, userId, now);
	const limits = workspaceLimits(env);
	const saved = await saveFile(env, userId, checked.path, { stream: body, size }, type, limits, now);
	if (!saved.ok) return refusal(saved, checked.path, limits);
	await tidy(env, userId, now);
	return { path: checked.path, size: saved.size, type: saved.type, sha256: saved.sha256, created: saved.created };
}
