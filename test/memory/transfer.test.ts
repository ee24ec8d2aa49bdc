// Export and import as JSON Lines against real D1: a round trip, bad lines, the cap, the size
// limits, and one unit of the rate per import.
import { describe, expect, it } from "vitest";
import { type Memory, MemoryLimits, MemorySchema } from "../../src/protocol/index.ts";
import { api, newUser } from "../support/api.ts";
import {
	addMemory,
	countStored,
	fillMemories,
	importLines,
	type MemoryPage,
	memoriesOf,
	storedMemory,
} from "../support/memories.ts";

/** The export's lines, each checked against the API's Memory schema. */
async function exported(token: string): Promise<{ res: Response; memories: Memory[] }> {
	const res = await api("/api/memories/export", { token });
	// Decoded by hand: workerd warns when .text() reads a body typed as neither text nor JSON.
	const text = new TextDecoder().decode(await res.clone().arrayBuffer());
	const lines = text.split("\n");
	expect(lines.at(-1)).toBe("");
	return { res, memories: lines.slice(0, -1).map((line) => MemorySchema.parse(JSON.parse(line))) };
}

async function everything(token: string): Promise<Memory[]> {
	const all: Memory[] = [];
	let cursor: string | null = null;
	do {
		const page: MemoryPage = await memoriesOf(token, `?limit=200${cursor ? `&cursor=${cursor}` : ""}`);
		all.push(...page.memories);
		cursor = page.next_cursor;
	} while (cursor);
	return all;
}

const comparable = (m: Memory) => ({ text: m.text, tags: m.tags, pinned: m.pinned, created_at: m.created_at });

/** A stream of `chunks`, each made when read (so a test can send more than it holds). */
function streamOf(chunks: number, make: (i: number) => string): ReadableStream<Uint8Array> {
	const encoder = new TextEncoder();
	let i = 0;
	return new ReadableStream({
		pull(controller) {
			if (i === chunks) controller.close();
			else controller.enqueue(encoder.encode(make(i++)));
		},
	});
}

describe("memory export and import", () => {
	it("exports every memory as JSON Lines, an attachment, newest first across pages", async () => {
		const user = await newUser();
		const t0 = Date.now() - 1_000_000;
		// More than two pages of the export (200 rows each), with shared times at a page edge.
		for (let i = 0; i < 450; i += 50) {
			await Promise.all(
				Array.from({ length: 50 }, (_, j) =>
					storedMemory(user.id, `exported ${i + j}`, { createdAt: t0 + Math.floor((i + j) / 3) }),
				),
			);
		}
		const { res, memories } = await exported(user.token);
		expect(res.status).toBe(200);
		expect(res.headers.get("Content-Type")).toMatch(/^application\/x-ndjson/);
		expect(res.headers.get("Content-Disposition")).toMatch(/^attachment; filename="sparky-memories-[\d-]+\.jsonl"$/);
		expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
		expect(memories).toHaveLength(450);
		expect(new Set(memories.map((m) => m.id)).size).toBe(450);
		const times = memories.map((m) => m.created_at);
		expect(times).toEqual([...times].sort((a, b) => b - a));
		// An empty export is an empty body.
		const empty = await exported((await newUser()).token);
		expect(empty.memories).toEqual([]);
	});

	it("round-trips: what one user exports, another imports with the same texts, tags, pins and dates", async () => {
		const from = await newUser();
		const into = await newUser();
		await addMemory(from.token, { text: "Favourite colour: teal", tags: ["colour", "me"], pinned: true });
		await addMemory(from.token, { text: 'Quotes "inside" and a\nnew line, tabs\tand ünïcödé 🍵' });
		await storedMemory(from.id, "An old one", { createdAt: Date.UTC(2020, 0, 2), tags: ["old"] });
		// Over 1 MiB in all, which the import takes (other requests stop at 1 MiB).
		for (let i = 0; i < 600; i++)
			await storedMemory(from.id, `${i} ${"long text ".repeat(199)}`.slice(0, 2000).trimEnd());
		const { memories } = await exported(from.token);
		const body = `${memories.map((m) => JSON.stringify(m)).join("\n")}\n`;
		expect(new TextEncoder().encode(body).byteLength).toBeGreaterThan(1024 * 1024);

		const result = await importLines(into.token, body);
		expect(result.status).toBe(200);
		expect(result.body).toEqual({ imported: 603, skipped: [] });
		const imported = await everything(into.token);
		const key = (m: { text: string; created_at: number }) => `${m.created_at}:${m.text}`;
		expect(imported.map(comparable).sort((a, b) => key(a).localeCompare(key(b)))).toEqual(
			memories.map(comparable).sort((a, b) => key(a).localeCompare(key(b))),
		);
		// New ids, marked as imported; searchable like any other.
		expect(imported.every((m) => m.source.kind === "import" && !memories.some((o) => o.id === m.id))).toBe(true);
		const found = await memoriesOf(into.token, "?q=favourite colour");
		expect(found.memories[0]).toMatchObject({ text: "Favourite colour: teal", pinned: true, tags: ["colour", "me"] });
		expect(found.memories[0]?.created_at).toBe(memories.find((m) => m.text.startsWith("Favourite"))?.created_at);
		// The first user's memories are as they were.
		expect(await countStored(from.id)).toBe(603);
		// Importing the same export again adds nothing: each line is a memory already there.
		const again = await importLines(into.token, body);
		expect(again.body.imported).toBe(0);
		expect(again.body.skipped).toHaveLength(603);
		expect(again.body.skipped[0]).toEqual({ line: 1, error: "already in your memories (the same text)" });
		expect(await countStored(into.id)).toBe(603);
	});

	it("skips bad lines with their numbers and reasons, and saves the rest", async () => {
		const user = await newUser();
		const future = Date.now() + 365 * 86_400_000;
		const lines = [
			JSON.stringify({ text: "line one is fine", tags: ["ok"] }),
			"this is not json",
			JSON.stringify({ text: "" }),
			"",
			JSON.stringify({ tags: ["no-text"] }),
			"[1, 2, 3]",
			`${JSON.stringify({ text: "crlf line", created_at: 1_600_000_000_000 })}\r`,
			JSON.stringify({ text: "x".repeat(MemoryLimits.textChars + 1) }),
			JSON.stringify({ text: "bad tag", tags: ["has space"] }),
			JSON.stringify({ text: "too long a line", pad: "y".repeat(MemoryLimits.importLineBytes) }),
			`{"text":"deep","x":${"[".repeat(40)}${"]".repeat(40)}}`,
			JSON.stringify({ text: "from the future", created_at: future, updated_at: future + 5 }),
			"   ",
			JSON.stringify({ text: "last line, no newline", pinned: true, id: "mem_ignored", source: { kind: "chat" } }),
		];
		const started = Date.now();
		const { status, body } = await importLines(user.token, lines.join("\n"));
		expect(status).toBe(200);
		expect(body.imported).toBe(4);
		expect(body.skipped.map((s) => s.line)).toEqual([2, 3, 5, 6, 8, 9, 10, 11]);
		const reason = (line: number) => body.skipped.find((s) => s.line === line)?.error;
		expect(reason(2)).toBe("not JSON");
		expect(reason(3)).toMatch(/text/);
		expect(reason(5)).toMatch(/text/);
		expect(reason(6)).toMatch(/object/);
		expect(reason(8)).toMatch(/at most 2000 characters/);
		expect(reason(9)).toMatch(/tag/);
		expect(reason(10)).toMatch(/line over 65536 bytes/);
		expect(reason(11)).toMatch(/deeper/);
		const saved = await everything(user.token);
		expect(saved.map((m) => m.text).sort()).toEqual(
			["crlf line", "from the future", "last line, no newline", "line one is fine"].sort(),
		);
		const byText = Object.fromEntries(saved.map((m) => [m.text, m]));
		expect(byText["crlf line"]?.created_at).toBe(1_600_000_000_000);
		// A date in the future is now; the id and source of a line are never taken.
		expect(byText["from the future"]?.created_at).toBeGreaterThanOrEqual(started);
		expect(byText["from the future"]?.created_at).toBeLessThanOrEqual(Date.now());
		expect(byText["last line, no newline"]).toMatchObject({ pinned: true, source: { kind: "import" } });
		expect(byText["last line, no newline"]?.id).not.toBe("mem_ignored");
	});

	it("stops at the cap: the lines past it are skipped, each saying why", async () => {
		const user = await newUser();
		await fillMemories(user.id, 4998);
		const lines = Array.from({ length: 5 }, (_, i) => JSON.stringify({ text: `capped ${i}` }));
		const { body } = await importLines(user.token, lines.join("\n"));
		expect(body.imported).toBe(2);
		expect(body.skipped.map((s) => s.line)).toEqual([3, 4, 5]);
		expect(body.skipped.every((s) => s.error.includes("SPARKY_MAX_MEMORIES"))).toBe(true);
		expect(await countStored(user.id)).toBe(5000);
		// At the cap already: nothing saved, every line says so.
		const again = await importLines(user.token, `${JSON.stringify({ text: "no room" })}\nnot json`);
		expect(again.body.imported).toBe(0);
		expect(again.body.skipped).toEqual([
			{ line: 1, error: expect.stringContaining("SPARKY_MAX_MEMORIES") },
			{ line: 2, error: "not JSON" },
		]);
	});

	it("takes one unit of the rate per import, however many lines", async () => {
		const user = await newUser();
		const started = Date.now();
		const lines = Array.from({ length: 300 }, (_, i) => JSON.stringify({ text: `rated ${i}` }));
		expect((await importLines(user.token, lines.join("\n"))).body.imported).toBe(300);
		let accepted = 0;
		for (let i = 0; i < 40; i++) {
			const res = await api("/api/memories", { token: user.token, body: { text: `after ${i}` } });
			if (res.status === 429) break;
			expect(res.status).toBe(201);
			accepted++;
		}
		// The burst is 30: the import took one of them, whatever refilled meanwhile aside.
		expect(accepted).toBeGreaterThanOrEqual(29);
		expect(accepted).toBeLessThanOrEqual(29 + Math.floor((Date.now() - started) / 1000));
		// Out of rate, an import is refused before it reads its body.
		const refused = await importLines(user.token, JSON.stringify({ text: "refused" }));
		expect(refused.status).toBe(429);
		expect(await countStored(user.id)).toBe(300 + accepted);
	});

	it("caps an import's size: a declared length over the limit is 413, a stream past it stops there", async () => {
		const user = await newUser();
		const over = new Uint8Array(MemoryLimits.importBytes + 1).fill(0x20);
		over.set(new TextEncoder().encode(JSON.stringify({ text: "never read" })));
		const declared = await importLines(user.token, over);
		expect(declared.status).toBe(413);
		expect(declared.body.error?.code).toBe("payload_too_large");
		expect(await countStored(user.id)).toBe(0);

		// No Content-Length: read until the limit, what came before it is saved, the rest is not read.
		const mib = `${" ".repeat(1023)}\n`.repeat(1024);
		const stream = streamOf(18, (i) => (i === 0 ? `${JSON.stringify({ text: "first" })}\n${mib}` : mib));
		const streamed = await importLines(user.token, stream);
		expect(streamed.status).toBe(200);
		expect(streamed.body.imported).toBe(1);
		expect(streamed.body.skipped).toHaveLength(1);
		expect(streamed.body.skipped[0]?.error).toMatch(/body over 16777216 bytes/);
		// Other requests still stop at 1 MiB.
		const big = await api("/api/memories", { token: user.token, body: { text: "x", pad: "y".repeat(1024 * 1024) } });
		expect(big.status).toBe(413);
	});

	it("reads at most 5,000 memories from one import", async () => {
		const user = await newUser();
		const lines = Array.from({ length: MemoryLimits.importLines + 2 }, (_, i) => JSON.stringify({ text: `n${i}` }));
		const { body } = await importLines(user.token, lines.join("\n"));
		expect(body.imported).toBe(MemoryLimits.importLines);
		expect(body.skipped).toEqual([
			{ line: MemoryLimits.importLines + 1, error: expect.stringContaining("at most 5000 memories") },
		]);
		expect(await countStored(user.id)).toBe(MemoryLimits.importLines);
	});
});
