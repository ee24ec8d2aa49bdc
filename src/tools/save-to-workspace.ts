import { z } from "zod";
import { openFileBytes } from "../files/service.ts";
import { FileIdSchema } from "../protocol/index.ts";
import { getFileRow } from "../storage/files.ts";
import { defineTool, fail } from "./types.ts";
import { copyIntoWorkspace } from "./workspace-files.ts";

export const saveToWorkspaceTool = defineTool({
	name: "save_to_workspace",
	// The same file copied to the same path twice is the same workspace file.
	idempotent: true,
	description:
		"Copy a file attached to a message or task (its <attachment> tag gives the id) into the user's workspace at `path`, where the file tools (read_file, list_files…) work on it. Overwrites a file already at that path.",
	input: z.strictObject({
		file_id: FileIdSchema.describe("The attachment's id (file_…)"),
		path: z.string().min(1).max(1024).describe("Where in the workspace, e.g. reports/q3.pdf"),
	}),
	async execute({ file_id, path }, ctx) {
		const file = await getFileRow(ctx.env.DB, ctx.userId, file_id);
		if (!file) return fail(`no file ${file_id} (only the user's own uploads can be saved)`);
		const bytes = await openFileBytes(ctx.env, file).catch(() => null);
		if (!bytes) return fail(`the bytes of ${file.name} are missing from storage`);
		const copied = await copyIntoWorkspace(ctx.env, ctx.userId, path, bytes.body, bytes.size, file.type, ctx.now());
		return "error" in copied ? copied : { file_id, name: file.name, ...copied };
	},
});
