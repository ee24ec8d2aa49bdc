/**
 * A user's memories out and in as JSON Lines: export streams one `Memory` per line, a page of
 * rows at a time; import reads a body line by line, saves what is valid in D1 batches (each
 * insert re-checks the cap) and says which lines it skipped and why.
 */
import { capsConfig } from "../config.ts";
import { hubRates, spendRate } from "../deps.ts";
import {
	describeIssues,
	LIMITS,
	MemoryImportLineSchema,
	type MemoryImportResult,
	MemoryLimits,
	tooDeep,
} from "../protocol/index.ts";
import {
	countMemories,
	insertMemoryStatement,
	knownTexts,
	listMemoryRows,
	type MemoryRow,
	type NewMemoryRow,
} from "../storage/memories.ts";
import { readJsonLines } from "./json-lines.ts";
import { newMemoryRow, toMemory } from "./service.ts";

/** Rows read per page of an export. */
const EXPORT_PAGE = 200;
/** Inserts per D1 batch of an import. */
const IMPORT_BATCH = 100;

/** Every memory of `userId`, newest first, one JSON object per line, read from D1 as the reader pulls. */
export function exportMemories(env: Env, userId: string): ReadableStream<Uint8Array> {
	const encoder = new TextEncoder();
	let before: { at: number; id: string } | undefined;
	return new ReadableStream<Uint8Array>(
		{
			async pull(controller) {
				const rows = await listMemoryRows(env.DB, userId, {}, EXPORT_PAGE, before);
				if (rows.length > 0) {
					controller.enqueue(encoder.encode(rows.map((r) => `${JSON.stringify(toMemory(r))}\n`).join("")));
				}
				const last = rows.at(-1);
				if (rows.length < EXPORT_PAGE || !last) controller.close();
				else before = { at: last.created_at, id: last.id };
			},
		},
		// One page at a time: nothing is read ahead of a slow reader.
		{ highWaterMark: 0 },
	);
}

type Skipped = MemoryImportResult["skipped"][number];

/**
 * Saves the memories of a JSON Lines body for `userId` (source "import"; `created_at` and
 * `updated_at` kept when given). One unit of the memories rate per call, whatever its size.
 * Past the cap, the rest of the lines are skipped, each with the reason.
 */
export async function importMemories(
	env: Env,
	userId: string,
	body: ReadableStream<Uint8Array> | null,
	now = Date.now(),
): Promise<MemoryImportResult> {
	await spendRate({ rates: hubRates(env) }, userId, "memories");
	const cap = capsConfig(env).memories;
	const overCap = `over SPARKY_MAX_MEMORIES: you may keep at most ${cap} memories`;
	let full = (await countMemories(env.DB, userId)) >= cap;
	let imported = 0;
	const skipped: Skipped[] = [];
	let waiting: { line: number; row: NewMemoryRow }[] = [];

	const flush = async () => {
		if (waiting.length === 0) return;
		// A memory you already have (the same text) is not saved twice: importing an export again adds nothing.
		const known = await knownTexts(
			env.DB,
			userId,
			waiting.map((w) => w.row.text),
		);
		const batch: typeof waiting = [];
		for (const w of waiting) {
			if (known.has(w.row.text)) skipped.push({ line: w.line, error: "already in your memories (the same text)" });
			else {
				known.add(w.row.text);
				batch.push(w);
			}
		}
		waiting = [];
		if (batch.length === 0) return;
		const results = await env.DB.batch<MemoryRow>(batch.map((w) => insertMemoryStatement(env.DB, w.row, cap)));
		const saved: MemoryRow[] = [];
		for (const [i, result] of results.entries()) {
			const row = result.results[0];
			if (row) {
				imported++;
				saved.push(row);
			} else {
				full = true;
				skipped.push({ line: batch[i]?.line ?? 0, error: overCap });
			}
		}
		await indexMemories(env, userId, saved);
	};

	let lines = 0;
	for await (const item of readJsonLines(body, {
		maxBytes: MemoryLimits.importBytes,
		maxLineBytes: MemoryLimits.importLineBytes,
	})) {
		if (item.kind === "too_large") {
			skipped.push({
				line: item.line,
				error: `body over ${MemoryLimits.importBytes} bytes: this line and the rest were not read`,
			});
			break;
		}
		if (item.kind === "too_long") {
			skipped.push({ line: item.line, error: `line over ${MemoryLimits.importLineBytes} bytes` });
			continue;
		}
		if (item.text.trim() === "") continue;
		if (++lines > MemoryLimits.importLines) {
			skipped.push({
				line: item.line,
				error: `an import carries at most ${MemoryLimits.importLines} memories: this line and the rest were not read`,
			});
			break;
		}
		const parsed = parseLine(item.text);
		if (typeof parsed === "string") {
			skipped.push({ line: item.line, error: parsed });
			continue;
		}
		if (full) {
			skipped.push({ line: item.line, error: overCap });
			continue;
		}
		const createdAt = Math.min(parsed.created_at ?? now, now);
		const row = newMemoryRow(userId, parsed, { kind: "import" }, createdAt);
		row.updated_at = Math.min(Math.max(parsed.updated_at ?? createdAt, createdAt), now);
		waiting.push({ line: item.line, row });
		if (waiting.length >= IMPORT_BATCH) await flush();
	}
	await flush();
	skipped.sort((a, b) => a.line - b.line);
	return { imported, skipped };
}

import { indexMemories } from "./vectors.ts";

/** A line as a memory to save, or why it can't be one. */
function parseLine(text: string) {
	let value: unknown;
	try {
		value = JSON.parse(text);
	} catch {
		return "not JSON";
	}
	if (tooDeep(value, LIMITS.jsonDepth)) return `nests deeper than ${LIMITS.jsonDepth} levels`;
	const result = MemoryImportLineSchema.safeParse(value);
	if (result.success) return result.data;
	return describeIssues(result.error)
		.map((i) => (i.message.startsWith(`${i.path}:`) ? i.message : `${i.path}: ${i.message}`))
		.join("; ");
}
