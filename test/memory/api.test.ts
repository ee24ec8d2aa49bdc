// /api/memories against real D1: create, read, change, forget, list and search pages, filters,
// the cap and the rate, and that a memory is only ever its owner's.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Memory } from "../../src/protocol/index.ts";
import { adminToken, api, json, newUser, tokenFor } from "../support/api.ts";
import {
	addMemory,
	countStored,
	type ErrorBody,
	fillMemories,
	type MemoryPage,
	memoriesOf,
	storedMemory,
} from "../support/memories.ts";

type One = { memory: Memory };

async function allPages(token: string, query: string): Promise<{ ids: string[]; pages: number }> {
	const ids: string[] = [];
	let cursor: string | null = null;
	let pages = 0;
	do {
		const sep = query ? "&" : "?";
		const page: MemoryPage = await memoriesOf(token, `${query}${cursor ? `${sep}cursor=${cursor}` : ""}`);
		ids.push(...page.memories.map((m) => m.id));
		cursor = page.next_cursor;
		pages++;
	} while (cursor && pages < 50);
	return { ids, pages };
}

describe("/api/memories", () => {
	it("creates, shows, changes and forgets a memory", async () => {
		const user = await newUser();
		const res = await api("/api/memories", {
			token: user.token,
			body: { text: "  My cat is called Miso  ", tags: ["Pets", "pets", "home"], pinned: true },
		});
		expect(res.status).toBe(201);
		const { memory } = await json<One>(res);
		expect(memory).toMatchObject({
			text: "My cat is called Miso",
			tags: ["pets", "home"],
			pinned: true,
			source: { kind: "you", task_id: null, chat_id: null },
			recalled_at: null,
		});
		expect(memory.id).toMatch(/^mem_/);
		expect(memory.updated_at).toBe(memory.created_at);

		expect(await json<One>(api(`/api/memories/${memory.id}`, { token: user.token }))).toEqual({ memory });

		const patched = await api(`/api/memories/${memory.id}`, {
			method: "PATCH",
			token: user.token,
			body: { text: "My cat is called Tofu", pinned: false },
		});
		expect(patched.status).toBe(200);
		const changed = (await json<One>(patched)).memory;
		expect(changed).toMatchObject({
			id: memory.id,
			text: "My cat is called Tofu",
			tags: ["pets", "home"],
			pinned: false,
		});
		expect(changed.updated_at).toBeGreaterThanOrEqual(memory.updated_at);
		// The full-text index follows the edit: the new word is found, the old one no longer.
		expect((await memoriesOf(user.token, "?q=tofu")).memories.map((m) => m.id)).toEqual([memory.id]);
		expect((await memoriesOf(user.token, "?q=miso")).memories).toEqual([]);

		const tagsOnly = await json<One>(
			api(`/api/memories/${memory.id}`, { method: "PATCH", token: user.token, body: { tags: [] } }),
		);
		expect(tagsOnly.memory).toMatchObject({ text: "My cat is called Tofu", tags: [] });

		expect((await api(`/api/memories/${memory.id}`, { method: "DELETE", token: user.token })).status).toBe(204);
		expect((await api(`/api/memories/${memory.id}`, { token: user.token })).status).toBe(404);
		expect((await api(`/api/memories/${memory.id}`, { method: "DELETE", token: user.token })).status).toBe(404);
		const gone = await api(`/api/memories/${memory.id}`, {
			method: "PATCH",
			token: user.token,
			body: { pinned: true },
		});
		expect(gone.status).toBe(404);
		expect((await memoriesOf(user.token, "?q=tofu")).memories).toEqual([]);
	});

	it("validates bodies, ids and queries (400 naming the field)", async () => {
		const user = await newUser();
		const bad = async (path: string, init: { method?: string; body?: unknown }, field: string) => {
			const res = await api(path, { token: user.token, ...init });
			expect(res.status, `${init.method ?? "GET"} ${path} ${JSON.stringify(init.body)}`).toBe(400);
			expect(JSON.stringify(await res.json())).toContain(field);
		};
		await bad("/api/memories", { body: { text: "   " } }, "text");
		await bad("/api/memories", { body: { text: "x".repeat(2001) } }, "text");
		await bad("/api/memories", { body: { text: "a\u0000b" } }, "NUL");
		await bad("/api/memories", { body: { text: "ok", tags: Array.from({ length: 11 }, (_, i) => `t${i}`) } }, "tags");
		await bad("/api/memories", { body: { text: "ok", tags: ["no spaces"] } }, "tag");
		await bad("/api/memories", { body: { text: "ok", source: "chat" } }, "source");
		const { id } = await addMemory(user.token, { text: "a memory to patch" });
		await bad(`/api/memories/${id}`, { method: "PATCH", body: {} }, "nothing to change");
		await bad("/api/memories/not-a-memory", {}, "id");
		await bad("/api/memories/mem_ok'--", { method: "DELETE" }, "id");
		await bad("/api/memories?limit=0", {}, "limit");
		await bad("/api/memories?limit=201", {}, "limit");
		await bad("/api/memories?pinned=yes", {}, "pinned");
		await bad(`/api/memories?q=${"x".repeat(501)}`, {}, "q");
		await bad("/api/memories?cursor=bm90LWEtY3Vyc29y", {}, "cursor");
		await bad("/api/memories?q=memory&cursor=WzE3MDAwMDAwMDAwMDAsIm1lbV94Il0", {}, "cursor");
		// Nothing bad was stored.
		expect(await countStored(user.id)).toBe(1);
	});

	it("another user, an admin, the agent user and the admin secret never see or change a memory (404, empty)", async () => {
		const owner = await newUser();
		const memory = await addMemory(owner.token, { text: "The safe code is 4711", tags: ["secret"], pinned: true });
		const others = {
			user: (await newUser()).token,
			admin: (await newUser("admin")).token,
			agent: (await tokenFor("agent")).token,
			"admin secret": adminToken(),
		};
		for (const [who, token] of Object.entries(others)) {
			for (const [method, body] of [
				["GET", undefined],
				["PATCH", { text: "The safe code is 0000" }],
				["DELETE", undefined],
			] as const) {
				const res = await api(`/api/memories/${memory.id}`, { method, token, body });
				expect(res.status, `${who} ${method}`).toBe(404);
				expect((await json<ErrorBody>(res)).error.code).toBe("not_found");
			}
			for (const query of ["", "?q=safe code 4711", "?tag=secret", "?pinned=true"]) {
				const page = await memoriesOf(token, query);
				expect(
					page.memories.map((m) => m.id),
					`${who} ${query}`,
				).not.toContain(memory.id);
			}
			const exported = new TextDecoder().decode(await (await api("/api/memories/export", { token })).arrayBuffer());
			expect(exported, who).not.toContain(memory.id);
		}
		// Untouched by all of that.
		expect(await json<One>(api(`/api/memories/${memory.id}`, { token: owner.token }))).toEqual({ memory });
	});

	it("lists newest first in pages; filters by tag and pinned", async () => {
		const user = await newUser();
		const t0 = Date.now() - 100_000;
		const ids: string[] = [];
		for (let i = 0; i < 7; i++) {
			ids.push(
				await storedMemory(user.id, `note number ${i}`, {
					createdAt: t0 + i * 1000,
					tags: i % 2 === 0 ? ["even"] : ["odd"],
					pinned: i === 3,
				}),
			);
		}
		// Two with the same time: the id orders them, and paging neither repeats nor skips one.
		ids.push(await storedMemory(user.id, "same time a", { createdAt: t0 + 3000 }));
		const first = await memoriesOf(user.token, "?limit=3");
		expect(first.memories.map((m) => m.text)).toEqual(["note number 6", "note number 5", "note number 4"]);
		expect(first.next_cursor).toEqual(expect.any(String));
		const { ids: paged, pages } = await allPages(user.token, "?limit=3");
		expect(pages).toBe(3);
		expect(new Set(paged).size).toBe(8);
		expect([...paged].sort()).toEqual([...ids].sort());

		const even = await memoriesOf(user.token, "?tag=even");
		expect(even.memories.map((m) => m.text)).toEqual([
			"note number 6",
			"note number 4",
			"note number 2",
			"note number 0",
		]);
		expect((await memoriesOf(user.token, "?tag=EVEN")).memories).toHaveLength(4);
		expect((await memoriesOf(user.token, "?tag=none")).memories).toEqual([]);
		const pinned = await memoriesOf(user.token, "?pinned=true");
		expect(pinned.memories.map((m) => m.text)).toEqual(["note number 3"]);
		expect((await memoriesOf(user.token, "?pinned=false")).memories).toHaveLength(7);
		// A search with a filter: only the matches that have the tag.
		const searched = await memoriesOf(user.token, "?q=note&tag=odd");
		expect(searched.memories.map((m) => m.text).sort()).toEqual(["note number 1", "note number 3", "note number 5"]);
	});

	it("pages a search with its cursor, best first, no repeats", async () => {
		const user = await newUser();
		for (let i = 0; i < 9; i++)
			await storedMemory(user.id, `pagingword entry ${i}${i === 4 ? " pagingword extra" : ""}`);
		await storedMemory(user.id, "unrelated");
		const first = await memoriesOf(user.token, "?q=pagingword extra&limit=4");
		expect(first.memories[0]?.text).toBe("pagingword entry 4 pagingword extra");
		const { ids, pages } = await allPages(user.token, "?q=pagingword&limit=4");
		expect(pages).toBe(3);
		expect(ids).toHaveLength(9);
		expect(new Set(ids).size).toBe(9);
	});

	it("caps memories per user: 409 naming the cap, nothing spent; other users are unaffected", async () => {
		const user = await newUser();
		const cap = 5000;
		await fillMemories(user.id, cap - 1);
		expect((await addMemory(user.token, { text: "the last one that fits" })).text).toBe("the last one that fits");
		// Far more refusals than the rate's burst (30): at the cap nothing is spent.
		for (let i = 0; i < 35; i++) {
			const refused = await api("/api/memories", { token: user.token, body: { text: `one too many ${i}` } });
			expect(refused.status).toBe(409);
			const body = await json<ErrorBody>(refused);
			expect(body.error.code).toBe("conflict");
			expect(body.error.details).toEqual({ limit: cap, cap: "SPARKY_MAX_MEMORIES" });
		}
		expect(await countStored(user.id)).toBe(cap);
		const other = await newUser();
		expect((await api("/api/memories", { token: other.token, body: { text: "mine" } })).status).toBe(201);
		// Forget one, and there is room (and rate) again.
		const page = await memoriesOf(user.token, "?limit=1");
		await api(`/api/memories/${page.memories[0]?.id}`, { method: "DELETE", token: user.token });
		expect((await api("/api/memories", { token: user.token, body: { text: "room again" } })).status).toBe(201);
	});

	it("limits how fast memories are saved (429 with Retry-After); nothing refused is stored", async () => {
		const [flooder, bystander] = await Promise.all([newUser(), newUser()]);
		const statuses: number[] = [];
		let limited: Response | undefined;
		const started = Date.now();
		for (let i = 0; i < 36; i++) {
			const res = await api("/api/memories", { token: flooder.token, body: { text: `flood ${i}` } });
			statuses.push(res.status);
			if (res.status === 429) limited ??= res;
		}
		// The burst (SPARKY_RATE_MEMORIES_BURST = 30) plus what refilled meanwhile (60 a minute).
		const refilled = Math.floor((Date.now() - started) / 1000);
		const accepted = statuses.filter((s) => s === 201).length;
		expect(accepted).toBeGreaterThanOrEqual(30);
		expect(accepted).toBeLessThanOrEqual(30 + refilled);
		expect(statuses).toContain(429);
		expect(Number(limited?.headers.get("Retry-After"))).toBeGreaterThanOrEqual(1);
		expect((await json<ErrorBody>(limited as Response)).error.code).toBe("rate_limited");
		expect(await countStored(flooder.id)).toBe(accepted);
		expect((await api("/api/memories", { token: bystander.token, body: { text: "calm" } })).status).toBe(201);
	});

	it("deleting a user deletes their memories and their words leave the full-text index", async () => {
		const user = await newUser();
		const other = await newUser();
		await addMemory(user.token, { text: "zanzibarish quokkafruit is my favourite snack" });
		await storedMemory(user.id, "another zanzibarish note");
		await addMemory(other.token, { text: "my own zanzibarish thought" });
		const indexed = (word: string) =>
			env.DB.prepare("SELECT count(*) AS n FROM memories_fts WHERE memories_fts MATCH ?")
				.bind(`"${word}"`)
				.first<{ n: number }>();
		expect((await indexed("quokkafruit"))?.n).toBe(1);
		expect((await indexed("zanzibarish"))?.n).toBe(3);
		// There is no admin route that deletes a user yet; this is the row's delete it would make.
		await env.DB.prepare("DELETE FROM users WHERE id = ?").bind(user.id).run();
		expect(await countStored(user.id)).toBe(0);
		expect((await indexed("quokkafruit"))?.n).toBe(0);
		expect((await indexed("zanzibarish"))?.n).toBe(1);
		expect((await memoriesOf(other.token, "?q=zanzibarish")).memories.map((m) => m.text)).toEqual([
			"my own zanzibarish thought",
		]);
	});
});
