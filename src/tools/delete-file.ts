import { z } from "zod";
import { deleteFile, ensureWorkspace } from "../storage/workspace.ts";
import { normalizePath } from "./paths.ts";
import { defineTool, fail } from "./types.ts";
import { tidy } from "./workspace-files.ts";

export const deleteFileTool = defineTool({
	name: "delete_file",
	// deleting twice leaves the same workspace
	idempotent: true,
	description: "Delete a file from the user's workspace.",
	input: z.strictObject({ path: z.string().min(1).max(1024).describe("File path to delete") }),
	async execute({ path }, ctx) {
		const checked = normalizePath(path);
		if (!checked.ok) return fail(checked.reason);
		await ensureWorkspace(ctx.env, ctx.userId, ctx.now());
		// The row first: from then on the file is gone, and its object is garbage (a trigger
		// says so) that tidy deletes now, or the next call or the tick if this one fails.
		const deleted = await deleteFile(ctx.env.DB, ctx.userId, checked.path);
		await tidy(ctx.env, ctx.userId, ctx.now());
		if (!deleted) return fail(`no file "${checked.path}" in the workspace`);
		return { path: checked.path, deleted: true };
	},
});
