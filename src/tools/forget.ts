import { z } from "zod";
import { forgetMemory } from "../memory/service.ts";
import { defineTool, fail } from "./types.ts";

export const forgetTool = defineTool({
	name: "forget",
	// forgetting twice leaves the same memory
	idempotent: true,
	description: "Delete one memory from the user's long-term memory, by its id (from recall or the remembered list).",
	input: z.strictObject({
		id: z
			.string()
			.regex(/^mem_[A-Za-z0-9_-]{1,64}$/, "id: a memory id, mem_…")
			.describe("The memory's id, e.g. mem_3fZ…"),
	}),
	async execute({ id }, ctx) {
		if (!(await forgetMemory(ctx.env, ctx.userId, id))) return fail(`no memory ${id}`);
		return { id, forgotten: true };
	},
});
