/** `sparky memory …`: what Sparky remembers about you, recalled into every run (docs/memory.md). */
import { text as readAll } from "node:stream/consumers";
import type { Command } from "commander";
import { z } from "zod";
import {
	CreateMemoryBodySchema,
	ListMemoriesQuerySchema,
	type Memory,
	MemoryIdSchema,
	MemoryLimits,
	MemoryPageSchema,
	MemorySchema,
	MemoryTagSchema,
	MemoryTextSchema,
	UpdateMemoryBodySchema,
} from "../../src/protocol/index.ts";
import { act } from "../action.ts";
import type { Context } from "../context.ts";
import { usageError } from "../errors.ts";
import { fields, type Output, oneLine, relativeTime, table, timestamp } from "../output.ts";
import { check, collect, integer } from "../validate.ts";
import { exportMemories, importMemories } from "./memory-transfer.ts";

const MemoryAnswer = z.object({ memory: MemorySchema });
type Page = z.output<typeof MemoryPageSchema>;

const enc = encodeURIComponent;
const queryFlags = { q: "query", tag: "--tag", pinned: "--pinned", limit: "--limit", cursor: "--cursor" };

interface PageOptions {
	tag?: string;
	pinned?: boolean;
	limit?: number;
	cursor?: string;
	all?: boolean;
}

export function addMemoryCommands(program: Command): void {
	const memory = program
		.command("memory")
		.alias("memories")
		.description("your long-term memories: recalled into every run, private to you");

	memory
		.command("list")
		.alias("ls")
		.description("your memories, newest first")
		.option("-t, --tag <tag>", "only memories with this tag")
		.option("--pinned", "only pinned memories (always in the agent's context)")
		.option(
			"-l, --limit <n>",
			`how many per page (1-${MemoryLimits.pageMax}, default ${MemoryLimits.pageDefault})`,
			integer,
		)
		.option("--cursor <cursor>", "the next page (printed under a full page)")
		.option("-a, --all", "every page, not just the first")
		.action(act(async (ctx, options: PageOptions) => showPages(ctx, undefined, options)));

	memory
		.command("search")
		.alias("find")
		.description("your memories that match, best first (relevance, then recency)")
		.argument("<query...>", "words to look for (taken as words: quotes, * or OR are not syntax)")
		.option("-t, --tag <tag>", "only memories with this tag")
		.option("--pinned", "only pinned memories")
		.option("-l, --limit <n>", `how many (1-${MemoryLimits.pageMax}, default ${MemoryLimits.pageDefault})`, integer)
		.option("--cursor <cursor>", "the next page (printed under a full page)")
		.action(act(async (ctx, words: string[], options: PageOptions) => showPages(ctx, words.join(" "), options)));

	memory
		.command("show")
		.alias("get")
		.description("one memory, whole")
		.argument("<id>", "memory id (mem_…)")
		.action(
			act(async (ctx, id: string) => {
				const { data } = await ctx.api().get(`/api/memories/${enc(memoryId(id))}`, MemoryAnswer, "fetching the memory");
				if (ctx.out.json) return ctx.out.printJson(data);
				printMemory(ctx.out, data.memory);
			}),
		);

	memory
		.command("add")
		.alias("remember")
		.description('remember something (the words are joined; "-" reads the text from stdin)')
		.argument("<text...>", "what to remember")
		.option("-t, --tag <tag>", "a tag, repeatable (or comma separated)", collect, [])
		.option("--pin", "pin it: always in the agent's context, not only when relevant")
		.addHelpText(
			"after",
			'\nExamples:\n  sparky memory add "My favourite colour is teal" --tag personal\n  sparky memory add --pin "Answer in British English"\n  pbpaste | sparky memory add -',
		)
		.action(
			act(async (ctx, words: string[], options: { tag: string[]; pin?: boolean }) => {
				const text = words.length === 1 && words[0] === "-" ? await readAll(process.stdin) : words.join(" ");
				const tags = tagsFrom(options.tag);
				const body = check(
					CreateMemoryBodySchema,
					{ text: memoryText(text), ...(tags.length ? { tags } : {}), ...(options.pin ? { pinned: true } : {}) },
					"memory",
					{ text: "text", tags: "--tag" },
				);
				const { data } = await ctx.api().send("POST", "/api/memories", MemoryAnswer, { body, label: "remembering" });
				if (ctx.out.json) return ctx.out.printJson(data);
				const m = data.memory;
				ctx.out.line(
					`Remembered ${ctx.out.c.bold(m.id)}${m.pinned ? " (pinned)" : ""}: ${oneLine(m.text, Math.max(20, ctx.out.columns - 40))}`,
				);
			}),
		);

	memory
		.command("edit")
		.description("change a memory's text or tags")
		.argument("<id>", "memory id")
		.option("--text <text>", "its new text")
		.option(
			"-t, --tag <tag>",
			"its tags from now on, repeatable (or comma separated): replaces the old ones",
			collect,
			[],
		)
		.option("--no-tags", "remove all its tags")
		.action(
			act(async (ctx, id: string, options: { text?: string; tag: string[]; tags: boolean }) => {
				if (options.tag.length && !options.tags) throw usageError("give --tag or --no-tags, not both");
				const tags = options.tags ? tagsFrom(options.tag) : [];
				if (options.text === undefined && options.tags && tags.length === 0) {
					throw usageError("nothing to change: give --text, --tag or --no-tags");
				}
				const body = check(
					UpdateMemoryBodySchema,
					{
						...(options.text === undefined ? {} : { text: memoryText(options.text) }),
						...(options.tags && tags.length === 0 ? {} : { tags }),
					},
					"change",
					{ text: "--text", tags: "--tag" },
				);
				const m = await patchMemory(ctx, id, body, "saving");
				if (ctx.out.json) return;
				ctx.out.line(`Updated ${ctx.out.c.bold(m.id)}.`);
				printMemory(ctx.out, m);
			}),
		);

	memory
		.command("pin")
		.description("pin a memory: always in the agent's context (--off to unpin)")
		.argument("<id>", "memory id")
		.option("--off", "unpin it (recalled only when relevant)")
		.action(act(async (ctx, id: string, options: { off?: boolean }) => setPinned(ctx, id, !options.off)));

	memory
		.command("unpin")
		.description("unpin a memory: recalled only when relevant")
		.argument("<id>", "memory id")
		.action(act(async (ctx, id: string) => setPinned(ctx, id, false)));

	memory
		.command("rm")
		.alias("forget")
		.description("forget a memory for good")
		.argument("<id>", "memory id")
		.action(
			act(async (ctx, id: string) => {
				const checked = memoryId(id);
				await ctx.api().send("DELETE", `/api/memories/${enc(checked)}`, z.unknown(), { label: "forgetting" });
				if (ctx.out.json) ctx.out.printJson({ deleted: true, id: checked });
				else ctx.out.line(`Forgot ${checked}.`);
			}),
		);

	memory
		.command("export")
		.description("every memory as JSON Lines (one memory a line), on stdout or into a file")
		.option("-o, --out <file>", "write to this file (created or replaced, readable by you only)")
		.action(act(async (ctx, options: { out?: string }) => exportMemories(ctx, options.out)));

	memory
		.command("import")
		.description('add memories from JSON Lines ("-" for stdin): an export, or lines of {"text", "tags"?, "pinned"?}')
		.argument("<file>", 'a JSON Lines file, or "-"')
		.addHelpText(
			"after",
			"\nIds are not kept: every line becomes a new memory. Lines that can't be imported are listed\nwith their line numbers (and the exit code is 1); the others are imported.\n\nExample:\n  sparky memory export --out memories.jsonl && sparky memory import memories.jsonl",
		)
		.action(act(async (ctx, file: string) => importMemories(ctx, file)));
}

// ---- list and search ------------------------------------------------------------------------

async function showPages(ctx: Context, q: string | undefined, options: PageOptions) {
	const query = check(
		ListMemoriesQuerySchema,
		{
			...(q === undefined ? {} : { q }),
			tag: options.tag,
			pinned: options.pinned ? "true" : undefined,
			// A whole list goes in the biggest pages the API gives.
			limit: options.limit ?? (options.all ? MemoryLimits.pageMax : undefined),
			cursor: options.cursor,
		},
		"option",
		queryFlags,
	);
	const page = await fetchPages(ctx, query, Boolean(options.all));
	const { out } = ctx;
	if (out.json) return out.printJson(page);
	if (page.memories.length === 0) {
		const which = [options.pinned ? "pinned " : "", "memories", options.tag ? ` tagged ${options.tag}` : ""].join("");
		return out.line(out.c.dim(q === undefined ? `No ${which}.` : `No ${which} match "${q}".`));
	}
	out.line(memoryTable(out, page.memories));
	if (page.next_cursor) {
		const again = q === undefined ? "list" : `search ${JSON.stringify(q)}`;
		out.line(out.c.dim(`more: sparky memory ${again}${flagsOf(options)} --cursor ${page.next_cursor}`));
	} else if (options.all) out.line(out.c.dim(`${page.memories.length} memories.`));
}

/** One page, or (with `all`) every page from there on, as one page with no next cursor. */
async function fetchPages(ctx: Context, query: z.output<typeof ListMemoriesQuerySchema>, all: boolean): Promise<Page> {
	const memories: Memory[] = [];
	const seen = new Set<string>();
	let cursor = query.cursor;
	for (;;) {
		const { data } = await ctx.api().send("GET", "/api/memories", MemoryPageSchema, {
			query: { ...query, cursor },
			label: query.q === undefined ? "listing memories" : "searching",
		});
		if (!all) return data;
		memories.push(...data.memories);
		// A cursor seen before would loop for ever (a server bug): stop there.
		if (!data.next_cursor || seen.has(data.next_cursor)) return { memories, next_cursor: null };
		seen.add(data.next_cursor);
		cursor = data.next_cursor;
	}
}

/** The filters of a page, for the "more:" line's command. */
function flagsOf(options: PageOptions): string {
	return [
		options.tag ? ` --tag ${options.tag}` : "",
		options.pinned ? " --pinned" : "",
		options.limit ? ` --limit ${options.limit}` : "",
	].join("");
}

// ---- changes --------------------------------------------------------------------------------

async function patchMemory(
	ctx: Context,
	id: string,
	body: z.output<typeof UpdateMemoryBodySchema>,
	label: string,
): Promise<Memory> {
	const { data } = await ctx.api().send("PATCH", `/api/memories/${enc(memoryId(id))}`, MemoryAnswer, { body, label });
	if (ctx.out.json) ctx.out.printJson(data);
	return data.memory;
}

async function setPinned(ctx: Context, id: string, pinned: boolean): Promise<void> {
	const m = await patchMemory(ctx, id, { pinned }, pinned ? "pinning" : "unpinning");
	if (ctx.out.json) return;
	ctx.out.line(
		pinned
			? `Pinned ${ctx.out.c.bold(m.id)}: it is in the agent's context in every run.`
			: `Unpinned ${ctx.out.c.bold(m.id)}: recalled when relevant.`,
	);
}

// ---- showing memories -----------------------------------------------------------------------

/** A table that fits the terminal: the text gets what the other columns leave. */
function memoryTable(out: Output, memories: Memory[]): string {
	const head = ["ID", "PIN", "TAGS", "FROM", "SAVED", "TEXT"];
	const rows = memories.map((m) => [
		m.id,
		m.pinned ? out.c.yellow("★") : "",
		m.tags.join(" "),
		source(m, false),
		relativeTime(m.created_at),
	]);
	// Each column is as wide as its longest cell, plus the table's two spaces of padding.
	const used = head
		.slice(0, -1)
		.reduce((sum, h, i) => sum + Math.max(h.length, ...rows.map((r) => plainLength(r[i] ?? ""))) + 2, 0);
	const width = Math.max(20, out.columns - used - 1);
	return table(
		out,
		head,
		rows.map((r, i) => [...r, oneLine(memories[i]?.text ?? "", width)]),
	);
}

function printMemory(out: Output, m: Memory): void {
	out.line(
		fields(out, [
			["id", out.c.bold(m.id)],
			["pinned", m.pinned ? out.c.yellow("yes: in every run's context") : "no"],
			["tags", m.tags.join(", ") || out.c.dim("none")],
			["from", source(m, true)],
			["saved", `${timestamp(m.created_at)} (${relativeTime(m.created_at)})`],
			[
				"updated",
				m.updated_at === m.created_at ? undefined : `${timestamp(m.updated_at)} (${relativeTime(m.updated_at)})`,
			],
			["recalled", m.recalled_at === null ? "never" : `${timestamp(m.recalled_at)} (${relativeTime(m.recalled_at)})`],
			["text", m.text],
		]),
	);
}

/** `you`, `import`, `chat chat_…` (a chat turn), `task task_…`: the link to where it came from. */
function source(m: Memory, whole: boolean): string {
	const { kind, chat_id, task_id } = m.source;
	if (kind === "chat" && chat_id) return whole && task_id ? `chat ${chat_id} (turn ${task_id})` : `chat ${chat_id}`;
	if ((kind === "chat" || kind === "task") && task_id) return `${kind === "chat" ? "chat turn" : "task"} ${task_id}`;
	return kind;
}

// ---- small helpers --------------------------------------------------------------------------

const memoryId = (id: string) => check(MemoryIdSchema, id, "memory id");

/** The text checked on its own first, so its message reads `invalid memory: text: …` (once). */
const memoryText = (text: string) => check(MemoryTextSchema, text, "memory");

/** `-t a -t b,c` → `["a", "b", "c"]` (a tag has no comma), each checked, so the error names it. */
const tagsFrom = (values: string[]) =>
	values
		.flatMap((v) => v.split(","))
		.map((t) => t.trim())
		.filter(Boolean)
		.map((t) => check(MemoryTagSchema, t, `--tag "${t}"`));

// biome-ignore lint/suspicious/noControlCharactersInRegex: the escape sequences colours add.
const plainLength = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, "").length;
