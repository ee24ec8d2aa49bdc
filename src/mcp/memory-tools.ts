/** Sparky's MCP tools for the user's long-term memory: search it, add to it (marked as from MCP). */
import { z } from "zod";
import { createMemory, searchMemories, toMemory } from "../memory/service.ts";
import { MemoryLimits, MemorySchema, MemoryTagsSchema, MemoryTextSchema } from "../protocol/index.ts";
import { defineTool, type SparkyMcpTool, type ToolContext } from "./server-tool.ts";
import { readOnly } from "./task-tools.ts";

export function memoryTools({ env, auth }: ToolContext): SparkyMcpTool[] {
	return [
		defineTool({
			name: "search_memory",
			description:
				"Search what Sparky remembers about you (your long-term memories), best matches first. The query is plain words; nothing in it is syntax.",
			input: z.strictObject({
				query: z.string().trim().min(1).max(MemoryLimits.queryChars).describe("Words to look for."),
				limit: z
					.number()
					.int()
					.min(1)
					.max(MemoryLimits.recallMax)
					.optional()
					.describe(`At most this many (default 10, at most ${MemoryLimits.recallMax}).`),
			}),
			output: z.object({ memories: z.array(MemorySchema) }),
			annotations: readOnly("Search your memories"),
			scope: "memory:read",
			async run(args) {
				const rows = await searchMemories(env, auth.userId, args.query, { limit: args.limit ?? 10 });
				return { memories: rows.map(toMemory) };
			},
		}),
		defineTool({
			name: "add_memory",
			description:
				"Save something for Sparky to remember about you; later runs may recall it. It is marked as saved by an MCP client.",
			input: z.strictObject({
				text: MemoryTextSchema.describe(`What to remember (at most ${MemoryLimits.textChars} characters).`),
				tags: MemoryTagsSchema.optional().describe("Short labels to find it by."),
			}),
			output: z.object({ memory: MemorySchema }),
			annotations: {
				title: "Add a memory",
				readOnlyHint: false,
				destructiveHint: false,
				idempotentHint: false,
				openWorldHint: false,
			},
			scope: "memory:write",
			async run(args) {
				// The memories cap and rate are applied in createMemory, as on every path.
				const memory = await createMemory(env, auth.userId, { text: args.text, tags: args.tags }, { kind: "mcp" });
				return { memory };
			},
		}),
	];
}
