// The JSON Lines reader of imports: lines across chunk edges, multi-byte characters split
// between chunks, a line too long (dropped, not held), a body too large (stops there).
import { describe, expect, it } from "vitest";
import { type JsonLine, readJsonLines } from "../../src/memory/json-lines.ts";

function streamOf(chunks: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
	const encoder = new TextEncoder();
	return new ReadableStream({
		start(controller) {
			for (const c of chunks) controller.enqueue(typeof c === "string" ? encoder.encode(c) : c);
			controller.close();
		},
	});
}

async function read(chunks: (string | Uint8Array)[], maxBytes = 1_000, maxLineBytes = 100): Promise<JsonLine[]> {
	const out: JsonLine[] = [];
	for await (const line of readJsonLines(streamOf(chunks), { maxBytes, maxLineBytes })) out.push(line);
	return out;
}

/** The bytes of `text` cut in two inside its first multi-byte character. */
function splitInsideCharacter(text: string): [Uint8Array, Uint8Array] {
	const bytes = new TextEncoder().encode(text);
	const at = bytes.findIndex((b) => b >= 0x80) + 1;
	return [bytes.slice(0, at), bytes.slice(at)];
}

describe("readJsonLines", () => {
	it("numbers lines from 1, blank ones included, across chunk edges", async () => {
		expect(await read(['{"a":', '1}\n\n{"b"', ":2}\r\n", "last"])).toEqual([
			{ kind: "line", line: 1, text: '{"a":1}' },
			{ kind: "line", line: 2, text: "" },
			{ kind: "line", line: 3, text: '{"b":2}\r' },
			{ kind: "line", line: 4, text: "last" },
		]);
		expect(await read(["one\n"])).toEqual([{ kind: "line", line: 1, text: "one" }]);
		expect(await read([])).toEqual([]);
	});

	it("keeps a character whose bytes arrive in two chunks", async () => {
		const [a, b] = splitInsideCharacter("café ☕ 茶\nnext");
		expect(await read([a, b])).toEqual([
			{ kind: "line", line: 1, text: "café ☕ 茶" },
			{ kind: "line", line: 2, text: "next" },
		]);
	});

	it("drops a line over the line limit, even when it spans chunks, and goes on", async () => {
		const long = "x".repeat(60);
		expect(await read(["ok\n", long, long, "\nafter\n", long, long])).toEqual([
			{ kind: "line", line: 1, text: "ok" },
			{ kind: "too_long", line: 2 },
			{ kind: "line", line: 3, text: "after" },
			{ kind: "too_long", line: 4 },
		]);
		// Exactly at the limit is fine.
		expect(await read(["y".repeat(100)])).toEqual([{ kind: "line", line: 1, text: "y".repeat(100) }]);
	});

	it("stops at the body limit, naming the line it stopped in", async () => {
		const chunk = `${"z".repeat(9)}\n`.repeat(10);
		expect(await read([chunk, chunk, chunk], 250)).toEqual([
			...Array.from({ length: 20 }, (_, i) => ({ kind: "line", line: i + 1, text: "z".repeat(9) })),
			{ kind: "too_large", line: 21 },
		]);
	});

	it("reads nothing from no body", async () => {
		const out: JsonLine[] = [];
		for await (const line of readJsonLines(null, { maxBytes: 10, maxLineBytes: 10 })) out.push(line);
		expect(out).toEqual([]);
	});
});
