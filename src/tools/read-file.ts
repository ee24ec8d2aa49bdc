import { z } from "zod";
import { ensureWorkspace, readFile } from "../storage/workspace.ts";
import { normalizePath, WORKSPACE_LIMITS } from "./paths.ts";
import { defineTool, fail } from "./types.ts";

export const readFileTool = defineTool({
	name: "read_file",
	idempotent: true,
	description: `Read a text file from the user's workspace. Returns at most ${WORKSPACE_LIMITS.readChars} characters.`,
	input: z.strictObject({ path: z.string().min(1).max(1024).describe("File path, e.g. README.md") }),
	async execute({ path }, ctx) {
		const checked = normalizePath(path);
		if (!checked.ok) return fail(checked.reason);
		await ensureWorkspace(ctx.env.DB, ctx.userId, ctx.now());
		const content = await readFile(ctx.env.DB, ctx.userId, checked.path);
		if (content === null) return fail(`no file "${checked.path}" in the workspace (list_files shows what exists)`);
		const truncated = content.length > WORKSPACE_LIMITS.readChars;
		return {
			path: checked.path,
			chars: content.length,
			content: truncated ? content.slice(0, WORKSPACE_LIMITS.readChars) : content,
			truncated,
		};
	},
});
