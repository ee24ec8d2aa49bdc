import { z } from "zod";
import { ensureWorkspace, listFiles } from "../storage/workspace.ts";
import { normalizePath } from "./paths.ts";
import { defineTool, fail } from "./types.ts";
import { typeOfText } from "./workspace-files.ts";

export const listFilesTool = defineTool({
	name: "list_files",
	idempotent: true,
	description:
		"List the files in the user's workspace (path, size in bytes, media type, last change). Optionally only under a folder.",
	input: z.strictObject({
		folder: z.string().max(256).optional().describe("Only files under this folder, e.g. notes"),
	}),
	async execute({ folder }, ctx) {
		await ensureWorkspace(ctx.env, ctx.userId, ctx.now());
		let prefix = "";
		if (folder && folder.replace(/[/\\.]/g, "") !== "") {
			const checked = normalizePath(folder);
			if (!checked.ok) return fail(checked.reason);
			prefix = `${checked.path}/`;
		}
		const files = await listFiles(ctx.env.DB, ctx.userId, prefix);
		return {
			files: files.map((f) => ({
				path: f.path,
				size: f.size,
				// A file written before #25 is text with no type stored: its name says which.
				type: f.type ?? typeOfText(f.path),
				updated_at: new Date(f.updated_at).toISOString(),
			})),
			count: files.length,
			total_bytes: files.reduce((n, f) => n + f.size, 0),
		};
	},
});
