import { z } from "zod";

/** Sizes of long-term memory, shared by the Worker, the CLI and the page. */
export const MemoryLimits = {
	textChars: 2_000,
	tags: 10,
	tagChars: 32,
	/** A search query; longer is cut (a query is data, never syntax). */
	queryChars: 500,
	pageDefault: 50,
	pageMax: 200,
	/** `recall`'s results at most. */
	recallMax: 20,
	/** Lines one import may carry (the user's cap applies too). */
	importLines: 5_000,
	/** An import's body (JSON Lines) at most: 5,000 lines of 2,000 characters, with room for JSON escapes. */
	importBytes: 16 * 1024 * 1024,
	/** One line of an import at most (a 2,000-character text, escaped, with tags and dates). */
	importLineBytes: 64 * 1024,
} as const;

/** A memory's id (`mem_…`), as a path parameter or a tool argument. */
export const MemoryIdSchema = z.string().regex(/^mem_[A-Za-z0-9_-]{1,64}$/, "id: a memory id (mem_…)");

/** Where a memory came from: a person ("you"), a chat turn, a task, an import, or an MCP host. */
export const MemorySourceKindSchema = z.enum(["you", "chat", "task", "import", "mcp"]);
export type MemorySourceKind = z.infer<typeof MemorySourceKindSchema>;

export const MemorySourceSchema = z.object({
	kind: MemorySourceKindSchema,
	/** The task or chat turn that saved it (chat and task kinds). */
	task_id: z.string().nullable(),
	/** The chat of that turn, for a link. */
	chat_id: z.string().nullable(),
});
export type MemorySource = z.infer<typeof MemorySourceSchema>;

export const MemorySchema = z.object({
	id: z.string(),
	text: z.string(),
	tags: z.array(z.string()),
	pinned: z.boolean(),
	source: MemorySourceSchema,
	created_at: z.number().int(),
	updated_at: z.number().int(),
	recalled_at: z.number().int().nullable(),
});
export type Memory = z.infer<typeof MemorySchema>;

/** A memory's text: trimmed, 1-2,000 characters, no NUL. */
export const MemoryTextSchema = z
	.string()
	.trim()
	.min(1, "text: must not be empty")
	.max(MemoryLimits.textChars, `text: at most ${MemoryLimits.textChars} characters`)
	.refine((t) => !t.includes("\u0000"), "text: must not contain NUL");

/** A tag: lower-cased, letters, digits, `-`, `_`, `.`, `:` (so it can be typed and searched). */
export const MemoryTagSchema = z
	.string()
	.trim()
	.toLowerCase()
	.regex(
		/^[\p{L}\p{N}][\p{L}\p{N}_.:-]{0,31}$/u,
		"tag: 1-32 letters, digits, _ . : -, starting with a letter or digit",
	);

export const MemoryTagsSchema = z
	.array(MemoryTagSchema)
	.max(MemoryLimits.tags, `tags: at most ${MemoryLimits.tags}`)
	.transform((tags) => [...new Set(tags)]);

/** `POST /api/memories` body. */
export const CreateMemoryBodySchema = z.strictObject({
	text: MemoryTextSchema,
	tags: MemoryTagsSchema.optional(),
	pinned: z.boolean().optional(),
});

/** `PATCH /api/memories/:id` body: any of the fields. */
export const UpdateMemoryBodySchema = z
	.strictObject({
		text: MemoryTextSchema.optional(),
		tags: MemoryTagsSchema.optional(),
		pinned: z.boolean().optional(),
	})
	.refine((b) => b.text !== undefined || b.tags !== undefined || b.pinned !== undefined, "nothing to change");

/** `GET /api/memories` query: `q` searches (relevance, then recency); without it, newest first. */
export const ListMemoriesQuerySchema = z.object({
	q: z.string().max(MemoryLimits.queryChars).optional(),
	tag: MemoryTagSchema.optional(),
	pinned: z.enum(["true", "false"]).optional(),
	limit: z.coerce.number().int().min(1).max(MemoryLimits.pageMax).default(MemoryLimits.pageDefault),
	cursor: z
		.string()
		.regex(/^[A-Za-z0-9_-]{1,400}$/)
		.optional(),
});

/** One line of an import (JSON Lines): what an export wrote, or just `{text}`. Ids are not kept. */
export const MemoryImportLineSchema = z.object({
	text: MemoryTextSchema,
	tags: MemoryTagsSchema.optional(),
	pinned: z.boolean().optional(),
	created_at: z.number().int().nonnegative().optional(),
	/** Kept too (recency counts in search), never before `created_at` nor in the future. */
	updated_at: z.number().int().nonnegative().optional(),
});

/** `GET /api/memories` answer: a page, and where the next one starts (null: the last page). */
export const MemoryPageSchema = z.object({
	memories: z.array(MemorySchema),
	next_cursor: z.string().nullable(),
});

/** `POST /api/memories/import` answer: how many were saved, and each line that wasn't (1-based) and why. */
export const MemoryImportResultSchema = z.object({
	imported: z.number().int(),
	skipped: z.array(z.object({ line: z.number().int(), error: z.string() })),
});
export type MemoryImportResult = z.infer<typeof MemoryImportResultSchema>;

/** `value` of a `CUSTOM` `sparky.memory.recalled` event: the memories a run was given. */
export const MemoriesRecalledValueSchema = z.object({
	/** Every memory in the run's context, pinned first. */
	ids: z.array(z.string()),
	/** Those of them that are pinned (always in context). */
	pinned: z.array(z.string()),
});

/** `value` of a `CUSTOM` `sparky.context.compacted` event: a chat's older turns were summarised. */
export const ContextCompactedValueSchema = z.object({
	summary_id: z.string(),
	/** Turns the summary covers, in all. */
	turns: z.number().int(),
	through_turn_id: z.string(),
});

/** A chat's summary of its older turns (`GET /api/chats/:id/summaries`). */
export const ChatSummarySchema = z.object({
	id: z.string(),
	chat_id: z.string(),
	through_turn_id: z.string(),
	through_created_at: z.number().int(),
	content: z.string(),
	turns: z.number().int(),
	model: z.string(),
	created_at: z.number().int(),
});
export type ChatSummary = z.infer<typeof ChatSummarySchema>;
