import { describe, expect, it } from "vitest";
import type { SummaryView, TimelineItem } from "../../src/client/index.ts";
import type { Memory } from "../../src/protocol/index.ts";
import { Api } from "../../web/src/lib/api.ts";
import { MemoryApi, parseTags, sourceOf } from "../../web/src/lib/memories.ts";
import { summaryPlaces } from "../../web/src/lib/summary-marks.ts";
import { MemoryList } from "../../web/src/state/memory-list.ts";

const memory = (id: string, text: string, extra: Partial<Memory> = {}): Memory => ({
	id,
	text,
	tags: [],
	pinned: false,
	source: { kind: "you", task_id: null, chat_id: null },
	created_at: 1,
	updated_at: 1,
	recalled_at: null,
	...extra,
});

/**
 * A fake `/api/memories` for the list: answers each GET from `pages` (by `q` and `cursor`),
 * when `release` is called for it (so a test decides the order answers arrive in).
 */
function fakeServer() {
	const seen: { method: string; url: URL; body?: unknown }[] = [];
	const pages = new Map<string, { memories: Memory[]; next_cursor: string | null }>();
	const waiting: { key: string; answer: () => void }[] = [];
	const store = new Map<string, Memory>();
	const fetchImpl: typeof fetch = async (input, init) => {
		const url = new URL(String(input));
		const method = init?.method ?? "GET";
		const body = init?.body ? JSON.parse(String(init.body)) : undefined;
		seen.push({ method, url, body });
		const json = (value: unknown, status = 200) => new Response(JSON.stringify(value), { status });
		if (method === "GET" && url.pathname === "/api/memories") {
			const key = `${url.searchParams.get("q") ?? ""}|${url.searchParams.get("cursor") ?? ""}`;
			await new Promise<void>((answer) => waiting.push({ key, answer }));
			return json(pages.get(key) ?? { memories: [], next_cursor: null });
		}
		const id = url.pathname.split("/").at(-1) ?? "";
		if (method === "POST") {
			const made = memory(`mem_${store.size + 100}`, body.text, { tags: body.tags ?? [], pinned: !!body.pinned });
			store.set(made.id, made);
			return json({ memory: made }, 201);
		}
		const known = store.get(id);
		if (!known) return json({ error: { code: "not_found", message: `memory ${id} not found` } }, 404);
		if (method === "PATCH") {
			const changed = { ...known, ...body, updated_at: known.updated_at + 1 };
			store.set(id, changed);
			return json({ memory: changed });
		}
		if (method === "DELETE") {
			store.delete(id);
			return new Response(null, { status: 204 });
		}
		return json({ memory: known });
	};
	const release = async (key: string) => {
		for (let i = 0; i < 50 && !waiting.some((w) => w.key === key); i++) await new Promise((r) => setTimeout(r, 1));
		const at = waiting.findIndex((w) => w.key === key);
		if (at < 0) throw new Error(`no request for ${key}`);
		waiting.splice(at, 1)[0]?.answer();
		await new Promise((r) => setTimeout(r, 5));
	};
	return { seen, pages, store, release, api: new MemoryApi(new Api("t", "http://sparky.test", fetchImpl)) };
}

describe("web: the Memory panel's list", () => {
	it("loads a page, then the next by its cursor, without repeating a row", async () => {
		const server = fakeServer();
		server.pages.set("|", { memories: [memory("mem_2", "two"), memory("mem_1", "one")], next_cursor: "c1" });
		server.pages.set("|c1", { memories: [memory("mem_1", "one"), memory("mem_0", "zero")], next_cursor: null });
		const list = new MemoryList(server.api, () => undefined);
		const first = list.reload();
		expect(list.loading).toBe(true);
		await server.release("|");
		await first;
		expect(list.rows.map((m) => m.id)).toEqual(["mem_2", "mem_1"]);
		expect(list.nextCursor).toBe("c1");
		const more = list.loadMore();
		await server.release("|c1");
		await more;
		expect(list.rows.map((m) => m.id)).toEqual(["mem_2", "mem_1", "mem_0"]);
		expect(list.nextCursor).toBeNull();
		expect(server.seen.map((r) => r.url.searchParams.get("limit"))).toEqual(["50", "50"]);
	});

	it("drops the answer to a search typed over by a newer one", async () => {
		const server = fakeServer();
		server.pages.set("te|", { memories: [memory("mem_old", "stale")], next_cursor: null });
		server.pages.set("teal|", { memories: [memory("mem_t", "My favourite colour is teal.")], next_cursor: null });
		const list = new MemoryList(server.api, () => undefined);
		const older = list.search("te");
		const newer = list.search("teal");
		await server.release("teal|");
		await server.release("te|");
		await Promise.all([older, newer]);
		expect(list.query).toBe("teal");
		expect(list.rows.map((m) => m.id)).toEqual(["mem_t"]);
		expect(list.loading).toBe(false);
	});

	it("adds on top, edits and pins in place from the server's answer, and deletes", async () => {
		const server = fakeServer();
		const list = new MemoryList(server.api, () => undefined);
		const load = list.reload();
		await server.release("|");
		await load;
		const added = await list.add({ text: "Teal is my colour.", tags: ["colour"] });
		expect(list.rows.map((m) => m.id)).toEqual([added.id]);
		expect(server.seen.at(-1)).toMatchObject({
			method: "POST",
			body: { text: "Teal is my colour.", tags: ["colour"] },
		});

		await list.update(added.id, { pinned: true });
		expect(list.rows[0]).toMatchObject({ id: added.id, pinned: true, text: "Teal is my colour." });
		await list.update(added.id, { text: "Teal, always.", tags: ["colour", "taste"] });
		expect(list.rows[0]).toMatchObject({ text: "Teal, always.", tags: ["colour", "taste"], pinned: true });

		await list.remove(added.id);
		expect(list.rows).toEqual([]);
		expect(server.store.size).toBe(0);
		// Deleted elsewhere meanwhile (a 404): gone all the same; other refusals are thrown.
		await list.remove("mem_gone");
		await expect(list.update("mem_gone", { pinned: true })).rejects.toMatchObject({ status: 404 });
	});

	it("leaves a new memory out of a search or a pinned-only list it may not belong to", async () => {
		const server = fakeServer();
		const list = new MemoryList(server.api, () => undefined);
		const search = list.search("colour");
		await server.release("colour|");
		await search;
		await list.add({ text: "Unrelated." });
		expect(list.rows).toEqual([]);
		const all = list.search("");
		await server.release("|");
		await all;
		const pinnedOnly = list.showPinnedOnly(true);
		await server.release("|");
		await pinnedOnly;
		expect(server.seen.at(-1)?.url.searchParams.get("pinned")).toBe("true");
		await list.add({ text: "Not pinned." });
		await list.add({ text: "Pinned.", pinned: true });
		expect(list.rows.map((m) => m.text)).toEqual(["Pinned."]);
	});

	it("refuses an answer that is not a page of memories, and says so", async () => {
		const failing = new MemoryApi(
			new Api("t", "http://sparky.test", async () => new Response(JSON.stringify({ nope: 1 }), { status: 200 })),
		);
		const list = new MemoryList(failing, () => undefined);
		await list.reload();
		// An answer that isn't a page of memories is refused at the boundary, not rendered.
		expect(list.error).toBeTruthy();
		expect(list.rows).toEqual([]);
	});
});

describe("web: memory helpers", () => {
	it("reads tags as typed: commas or spaces, lower-cased, once each", () => {
		expect(parseTags(" Colour, home  work,colour ")).toEqual(["colour", "home", "work"]);
		expect(parseTags("  ")).toEqual([]);
	});

	it("links a memory to the chat or task it came from", () => {
		expect(sourceOf({ kind: "chat", task_id: "turn_1", chat_id: "chat_1" })).toEqual({
			label: "a chat",
			route: { kind: "chat", id: "chat_1" },
		});
		expect(sourceOf({ kind: "task", task_id: "task_1", chat_id: null })).toEqual({
			label: "a task",
			route: { kind: "task", id: "task_1" },
		});
		expect(sourceOf({ kind: "you", task_id: null, chat_id: null })).toEqual({ label: "you" });
		expect(sourceOf({ kind: "import", task_id: null, chat_id: null }).route).toBeUndefined();
		expect(sourceOf({ kind: "mcp", task_id: null, chat_id: null }).label).toBe("an MCP client");
	});

	it("reads a memory that is gone as null", async () => {
		const api = new MemoryApi(
			new Api(
				"t",
				"http://sparky.test",
				async () => new Response(JSON.stringify({ error: { code: "not_found", message: "no" } }), { status: 404 }),
			),
		);
		expect(await api.get("mem_x")).toBeNull();
	});
});

describe("web: where a summary's mark goes", () => {
	const msg = (id: string, turnId: string): TimelineItem => ({
		kind: "message",
		id,
		role: "user",
		text: id,
		streaming: false,
		turnId,
		ts: 1,
	});
	const summary = (id: string, through: string): SummaryView => ({ id, turns: 2, throughTurnId: through });

	it("after the last item of the last turn it covers; on top when that turn isn't loaded", () => {
		const items = [msg("a1", "turn_a"), msg("a2", "turn_a"), msg("b1", "turn_b"), msg("c1", "turn_c")];
		const places = summaryPlaces(items, [summary("s1", "turn_a"), summary("s0", "turn_old"), summary("s2", "turn_b")]);
		expect(places.top.map((s) => s.id)).toEqual(["s0"]);
		expect([...places.after.entries()].map(([at, s]) => [at, s.map((x) => x.id)])).toEqual([
			["a2", ["s1"]],
			["b1", ["s2"]],
		]);
	});
});
