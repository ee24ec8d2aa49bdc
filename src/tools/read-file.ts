import { z } from "zod";
import { imageSize } from "../files/extract-image.ts";
import { sniffType } from "../files/sniff.ts";
import { ensureWorkspace, openObject, statFile, type WorkspaceRow } from "../storage/workspace.ts";
import { normalizePath, WORKSPACE_LIMITS } from "./paths.ts";
import { streamWindow, type TextWindow, windowOf } from "./text-window.ts";
import { defineTool, fail } from "./types.ts";
import { isTextType, touchInline } from "./workspace-files.ts";

/** An image's dimensions are found in this many first bytes (a JPEG's EXIF comes first, and can be long). */
const HEAD_BYTES = 256 * 1024;
const OCTET_STREAM = "application/octet-stream";

export const readFileTool = defineTool({
	name: "read_file",
	idempotent: true,
	description: `Read a file from the user's workspace. A text file: up to ${WORKSPACE_LIMITS.readChars.toLocaleString("en-US")} characters from \`offset\` (0 by default; \`next_offset\` continues a long file). Any other file (an image, a PDF, an archive): what it is (type, size, an image's dimensions), not its bytes.`,
	input: z.strictObject({
		path: z.string().min(1).max(1024).describe("File path, e.g. README.md"),
		offset: z.number().int().min(0).optional().describe("The first character to read (0: the start)"),
		length: z
			.number()
			.int()
			.min(1)
			.max(WORKSPACE_LIMITS.readChars)
			.optional()
			.describe(`How many characters at most (${WORKSPACE_LIMITS.readChars} by default)`),
	}),
	async execute({ path, offset = 0, length = WORKSPACE_LIMITS.readChars }, ctx) {
		const checked = normalizePath(path);
		if (!checked.ok) return fail(checked.reason);
		const { env, userId } = ctx;
		await ensureWorkspace(env, userId, ctx.now());
		const missing = fail(`no file "${checked.path}" in the workspace (list_files shows what exists)`);
		let row = await statFile(env.DB, userId, checked.path);
		if (row?.object_key === null) {
			// Written before #25: its text is inline, and moves to R2 on this first touch.
			const inline = await touchInline(env, userId, checked.path, ctx.now());
			if (inline) return text(checked.path, inline.type, row.size, windowOf(inline.content, offset, length));
			row = await statFile(env.DB, userId, checked.path);
		}
		if (!row?.object_key) return missing;
		const type = row.type ?? OCTET_STREAM;
		if (isTextType(type)) {
			// A character (a UTF-16 unit, what `offset` and `length` count) is at most 3 bytes of
			// UTF-8: the window lies within these first bytes, so a large file is read only that far.
			const bytes = (offset + length + 1) * 3;
			const range = bytes < row.size ? { offset: 0, length: bytes } : undefined;
			const body = await openObject(env.FILES, row.object_key, range);
			if (!body) return outOfStep(checked.path);
			const window = await streamWindow(body, offset, length);
			if (window !== "binary") return text(checked.path, type, row.size, window);
		}
		return described(env.FILES, checked.path, row, row.object_key);
	},
});

function text(path: string, type: string, size: number, window: TextWindow) {
	return {
		path,
		type,
		size,
		offset: window.offset,
		content: window.text,
		truncated: window.more,
		...(window.more ? { next_offset: window.offset + window.text.length } : {}),
	};
}

/** A row whose object is gone: said, not hidden (a write or delete of the file sets it right). */
const outOfStep = (path: string) =>
	fail(`the bytes of "${path}" are missing from storage; write the file again or delete it`);

/** What a file that isn't text is, from its first bytes: its bytes are never shown. */
async function described(bucket: R2Bucket, path: string, row: WorkspaceRow, objectKey: string) {
	let head = new Uint8Array(0);
	if (row.size > 0) {
		const body = await openObject(bucket, objectKey, { offset: 0, length: Math.min(row.size, HEAD_BYTES) });
		if (!body) return outOfStep(path);
		head = new Uint8Array(await new Response(body).arrayBuffer());
	}
	const type = binaryType(row.type, head, row.size <= HEAD_BYTES, path);
	const dimensions = type.startsWith("image/") ? imageSize(head) : undefined;
	const what = [type, `${row.size.toLocaleString("en-US")} bytes`];
	if (dimensions) what.push(`${dimensions.width}×${dimensions.height} pixels`);
	return {
		path,
		type,
		size: row.size,
		sha256: row.sha256,
		binary: true,
		...dimensions,
		description: `"${path}" is not a text file (${what.join(", ")}): its bytes are not shown.`,
	};
}

/** The type a binary file is named by: its stored one, unless that said text (the bytes say not) or nothing. */
function binaryType(stored: string | null, head: Uint8Array, complete: boolean, path: string): string {
	if (stored && stored !== OCTET_STREAM && !isTextType(stored)) return stored;
	const sniffed = sniffType(head, complete, path);
	return isTextType(sniffed) ? OCTET_STREAM : sniffed;
}
