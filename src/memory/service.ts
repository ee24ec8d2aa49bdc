import { capsConfig } from "../config.ts";
import { hubRates, spendRate } from "../deps.ts";
import { conflict, notFound } from "../errors.ts";
import { type Memory, MemoryLimits, type MemorySourceKind, newId } from "../protocol/index.ts";
import {
	countMemories,
	deleteMemoryRow,
	getMemoryRow,
	insertMemory,
	listMemoryRows,
	type MemoryFilter,
	type MemoryRow,
	matchMemoryRows,
	memoryRowsByIds,
	substringMemoryRows,
	updateMemoryRow,
} from "../storage/memories.ts";
import { decodeCursor, decodeTimeIdCursor, encodeCursor } from "../storage/page-cursor.ts";
import { ftsQuery } from "./search-query.ts";
import { fuseRankings, indexMemories, semanticMatches, unindexMemories } from "./vectors.ts";

/** Where a new memory comes from. */
export interface MemoryOrigin {
	kind: MemorySourceKind;
	taskId?: string;
	chatId?: string;
}

export interface NewMemory {
	text: string;
	tags?: string[];
	pinned?: boolean;
}

/** A row as the API shows it. */
export function toMemory(row: MemoryRow): Memory {
	return {
		id: row.id,
		text: row.text,
		tags: parseTags(row.tags),
		pinned: row.pinned === 1,
		source: { kind: row.source_kind, task_id: row.source_id, chat_id: row.source_chat_id },
		created_at: row.created_at,
		updated_at: row.updated_at,
		recalled_at: row.recalled_at,
	};
}

function parseTags(json: string): string[] {
	try {
		const tags: unknown = JSON.parse(json);
		return Array.isArray(tags) ? tags.filter((t): t is string => typeof t === "string") : [];
	} catch {
		return [];
	}
}

const overCap = (cap: number) =>
	conflict(`you have ${cap} memories, the most one user may keep; forget some first`, {
		limit: cap,
		cap: "SPARKY_MAX_MEMORIES",
	});

/**
 * Saves a memory for `userId`: 409 at the cap (spending nothing), 429 past the rate. The
 * insert re-checks the cap in the same statement, so parallel saves can't pass it together.
 */
export async function createMemory(
	env: Env,
	userId: string,
	memory: NewMemory,
	origin: MemoryOrigin,
	now = Date.now(),
): Promise<Memory> {
	const cap = capsConfig(env).memories;
	// At the cap, a 409 that spends nothing; below it, the rate (the insert re-checks the cap atomically).
	if ((await countMemories(env.DB, userId)) >= cap) throw overCap(cap);
	await spendRate({ rates: hubRates(env) }, userId, "memories");
	const row = await insertMemory(env.DB, newMemoryRow(userId, memory, origin, now), cap);
	if (!row) throw overCap(cap);
	await indexMemories(env, userId, [row]);
	return toMemory(row);
}

export function newMemoryRow(userId: string, memory: NewMemory, origin: MemoryOrigin, now: number) {
	return {
		id: newId("mem", 12),
		user_id: userId,
		text: memory.text,
		tags: JSON.stringify(memory.tags ?? []),
		pinned: memory.pinned ? 1 : 0,
		source_kind: origin.kind,
		source_id: origin.taskId ?? null,
		source_chat_id: origin.chatId ?? null,
		created_at: now,
		updated_at: now,
	};
}

/** The owner's memory, or 404 (another user's is as missing as one that never was). */
export async function ownMemory(env: Env, userId: string, id: string): Promise<Memory> {
	const row = await getMemoryRow(env.DB, userId, id);
	if (!row) throw notFound(`memory ${id}`);
	return toMemory(row);
}

export async function updateMemory(
	env: Env,
	userId: string,
	id: string,
	patch: { text?: string; tags?: string[]; pinned?: boolean },
	now = Date.now(),
): Promise<Memory> {
	await spendRate({ rates: hubRates(env) }, userId, "memories");
	const row = await updateMemoryRow(
		env.DB,
		userId,
		id,
		{
			text: patch.text,
			tags: patch.tags === undefined ? undefined : JSON.stringify(patch.tags),
			pinned: patch.pinned === undefined ? undefined : patch.pinned ? 1 : 0,
		},
		now,
	);
	if (!row) throw notFound(`memory ${id}`);
	if (patch.text !== undefined) await indexMemories(env, userId, [row]);
	return toMemory(row);
}

/** Forgets a memory; false when the user has none of that id. */
export async function forgetMemory(env: Env, userId: string, id: string): Promise<boolean> {
	const forgotten = await deleteMemoryRow(env.DB, userId, id);
	if (forgotten) await unindexMemories(env, userId, [id]);
	return forgotten;
}

export interface MemoryPage {
	memories: Memory[];
	next_cursor: string | null;
}

/** How many full-text matches a search ranks (a page of a search is a slice of these). */
const SEARCH_WINDOW = 200;

/**
 * A page of the user's memories: newest first, or, with `q`, the best matches first
 * (relevance, then recency). `q` is data (see search-query.ts).
 */
export async function listMemories(
	env: Env,
	userId: string,
	query: { q?: string; tag?: string; pinned?: boolean; limit: number; cursor?: string },
	now = Date.now(),
): Promise<MemoryPage> {
	const filter: MemoryFilter = { tag: query.tag, pinned: query.pinned };
	if (query.q?.trim()) {
		const offset = query.cursor ? decodeSearchCursor(query.cursor) : 0;
		const ranked = await searchMemories(env, userId, query.q, { ...filter, limit: SEARCH_WINDOW }, now);
		const page = ranked.slice(offset, offset + query.limit);
		const more = offset + query.limit < ranked.length;
		return { memories: page.map(toMemory), next_cursor: more ? encodeCursor(["s", offset + query.limit]) : null };
	}
	const before = query.cursor ? decodeTimeIdCursor(query.cursor) : undefined;
	const rows = await listMemoryRows(env.DB, userId, filter, query.limit + 1, before);
	const page = rows.slice(0, query.limit);
	const last = page.at(-1);
	return {
		memories: page.map(toMemory),
		next_cursor: rows.length > query.limit && last ? encodeCursor([last.created_at, last.id]) : null,
	};
}

function decodeSearchCursor(text: string): number {
	return decodeCursor(
		text,
		([kind, offset]) =>
			kind === "s" && Number.isSafeInteger(offset) && (offset as number) >= 0 && (offset as number) < SEARCH_WINDOW
				? (offset as number)
				: undefined,
		"use next_cursor from the previous page of the same search",
	);
}

const DAY = 86_400_000;

/**
 * The user's memories that match `text`, best first: bm25 relevance (text over tags), nudged
 * by recency (a memory a year old ranks as if a fifth less relevant). Words of a script FTS5
 * doesn't split (Chinese, Japanese) are found as a substring when no word matches. With the
 * semantic bindings (vectors.ts), the ranking is fused with similarity in meaning.
 */
export async function searchMemories(
	env: Env,
	userId: string,
	text: string,
	options: MemoryFilter & { limit: number },
	now = Date.now(),
): Promise<MemoryRow[]> {
	const limit = Math.min(options.limit, SEARCH_WINDOW);
	const query = text.slice(0, MemoryLimits.queryChars);
	const [byWords, byMeaning] = await Promise.all([
		fullTextSearch(env.DB, userId, query, options, limit, now),
		semanticMatches(env, userId, query, limit),
	]);
	if (byMeaning.length === 0) return byWords;
	const rows = new Map(byWords.map((r) => [r.id, r]));
	const missing = byMeaning.filter((id) => !rows.has(id));
	for (const row of await memoryRowsByIds(env.DB, userId, missing, options)) rows.set(row.id, row);
	return fuseRankings([byWords.map((r) => r.id), byMeaning])
		.flatMap((id) => rows.get(id) ?? [])
		.slice(0, limit);
}

async function fullTextSearch(
	db: D1Database,
	userId: string,
	text: string,
	options: MemoryFilter,
	limit: number,
	now: number,
): Promise<MemoryRow[]> {
	const expression = ftsQuery(text);
	const matched = expression ? await matchMemoryRows(db, userId, expression, options, limit) : [];
	if (matched.length > 0) {
		const best = Math.max(...matched.map((r) => -r.rank), Number.MIN_VALUE);
		const score = (r: (typeof matched)[number]) => {
			const relevance = -r.rank / best;
			const age = Math.max(0, now - Math.max(r.updated_at, r.recalled_at ?? 0)) / DAY;
			return relevance * (0.8 + 0.2 * Math.exp(-age / 365));
		};
		return matched
			.map((r) => ({ r, s: score(r) }))
			.sort((a, b) => b.s - a.s || b.r.created_at - a.r.created_at)
			.map(({ r: { rank: _rank, ...row } }) => row);
	}
	const plain = text.trim();
	if (!plain) return [];
	return substringMemoryRows(db, userId, plain, options, limit);
}
