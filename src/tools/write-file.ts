import { z } from "zod";
import { ensureWorkspace, fileSize, readFile, usage, writeFile } from "../storage/workspace.ts";
import { normalizePath, utf8Bytes, WORKSPACE_LIMITS } from "./paths.ts";
import { defineTool, fail } from "./types.ts";

export const writeFileTool = defineTool({
	name: "write_file",
	// the same content written twice is the same file
	idempotent: true,
	description: `Create or overwrite a text file in the user's workspace (up to ${WORKSPACE_LIMITS.fileBytes / 1024} KiB per file, ${WORKSPACE_LIMITS.files} files).`,
	input: z.strictObject({
		path: z.string().min(1).max(1024).describe("File path, e.g. notes/todo.md"),
		content: z.string().describe("The whole new content of the file"),
		append: z.boolean().optional().describe("Add to the end of the file instead of replacing it"),
	}),
	async execute({ path, content, append }, ctx) {
		const checked = normalizePath(path);
		if (!checked.ok) return fail(checked.reason);
		const db = ctx.env.DB;
		await ensureWorkspace(db, ctx.userId, ctx.now());
		const existing = await fileSize(db, ctx.userId, checked.path);
		let text = content;
		if (append && existing !== null) text = `${(await readFile(db, ctx.userId, checked.path)) ?? ""}${content}`;
		const size = utf8Bytes(text);
		if (size > WORKSPACE_LIMITS.fileBytes) {
			return fail(`file would be ${size} bytes; the limit is ${WORKSPACE_LIMITS.fileBytes}`);
		}
		const used = await usage(db, ctx.userId);
		if (existing === null && used.files >= WORKSPACE_LIMITS.files) {
			return fail(`the workspace already has ${used.files} files (the limit); delete some first`);
		}
		if (used.bytes - (existing ?? 0) + size > WORKSPACE_LIMITS.totalBytes) {
			return fail(`the workspace would exceed ${WORKSPACE_LIMITS.totalBytes} bytes in all`);
		}
		const written = await writeFile(db, ctx.userId, checked.path, text, ctx.now());
		return { path: checked.path, size: written.size, created: written.created };
	},
});
