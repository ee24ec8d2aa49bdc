import { env, exports } from "cloudflare:workers";
import type { Memory, MemoryImportResult } from "../../src/protocol/index.ts";
import { insertMemory, type NewMemoryRow } from "../../src/storage/memories.ts";
import { api, BASE, json } from "./api.ts";

export type ErrorBody = { error: { code: string; message: string; details?: Record<string, unknown> } };
export type MemoryPage = { memories: Memory[]; next_cursor: string | null };

let counter = 0;

/** A memory written straight to D1 (no rate, no cap), with the times a test needs. */
export async function storedMemory(
	userId: string,
	text: string,
	options: { tags?: string[]; pinned?: boolean; createdAt?: number; updatedAt?: number } = {},
): Promise<string> {
	const createdAt = options.createdAt ?? Date.now();
	const row: NewMemoryRow = {
		id: `mem_t${Date.now().toString(36)}${counter++}`,
		user_id: userId,
		text,
		tags: JSON.stringify(options.tags ?? []),
		pinned: options.pinned ? 1 : 0,
		source_kind: "you",
		source_id: null,
		source_chat_id: null,
		created_at: createdAt,
		updated_at: options.updatedAt ?? createdAt,
	};
	if (!(await insertMemory(env.DB, row, Number.MAX_SAFE_INTEGER))) throw new Error("memory not stored");
	return row.id;
}

/** `n` memories ("filler memory <i>") in one statement, for caps and benchmarks of size. */
export async function fillMemories(userId: string, n: number): Promise<void> {
	const prefix = `mem_f${Date.now().toString(36)}${counter++}_`;
	await env.DB.prepare(
		`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
		 INSERT INTO memories (id, user_id, text, tags, pinned, source_kind, created_at, updated_at)
		 SELECT ? || i, ?, 'filler memory ' || i, '[]', 0, 'you', i, i FROM n`,
	)
		.bind(n, prefix, userId)
		.run();
}

export const memoriesOf = (token: string, query = "") => json<MemoryPage>(api(`/api/memories${query}`, { token }));

export async function addMemory(token: string, body: Record<string, unknown>): Promise<Memory> {
	const res = await api("/api/memories", { token, body });
	if (res.status !== 201) throw new Error(`add memory: ${res.status} ${await res.text()}`);
	return (await json<{ memory: Memory }>(res)).memory;
}

/** Posts a JSON Lines body to the import route. */
export async function importLines(
	token: string,
	body: string | ReadableStream<Uint8Array> | Uint8Array,
): Promise<{ status: number; body: MemoryImportResult & Partial<ErrorBody> }> {
	// Not through api(): a stream or bytes go as they are (a stream without a Content-Length).
	const res = await exports.default.fetch(`${BASE}/api/memories/import`, {
		method: "POST",
		headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/x-ndjson" },
		body,
		...(body instanceof ReadableStream ? { duplex: "half" } : {}),
	} as RequestInit);
	return { status: res.status, body: await res.json() };
}

export async function countStored(userId: string): Promise<number> {
	const row = await env.DB.prepare("SELECT count(*) AS n FROM memories WHERE user_id = ?")
		.bind(userId)
		.first<{ n: number }>();
	return row?.n ?? 0;
}
