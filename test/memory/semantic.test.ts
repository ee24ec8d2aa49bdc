// Hybrid search's plumbing, with stand-ins for Workers AI and Vectorize (neither has a local
// simulation, so these prove Sparky's side: namespaces per user, fusion, and that a failing
// binding never fails a save or a search; not the quality of real embeddings).
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createMemory, forgetMemory, searchMemories } from "../../src/memory/service.ts";
import { fuseRankings } from "../../src/memory/vectors.ts";
import { newUser } from "../support/api.ts";

/** Words that mean the same to the stand-in model: each group is one dimension. */
const MEANINGS = [
	["car", "vehicle", "automobile"],
	["doctor", "physician", "gp"],
	["flat", "apartment", "home"],
];

function embed(text: string): number[] {
	const words = text.toLowerCase().match(/\p{L}+/gu) ?? [];
	return MEANINGS.map((group) => words.filter((w) => group.includes(w)).length);
}

function bindings(options: { failEmbeddings?: boolean } = {}) {
	const vectors = new Map<string, { values: number[]; namespace: string }>();
	const calls = { upserts: 0, deletes: [] as string[] };
	const ai = {
		run: async (_model: string, input: { text: string[] }) => {
			if (options.failEmbeddings) throw new Error("AI binding unavailable");
			return { shape: [input.text.length, MEANINGS.length], data: input.text.map(embed) };
		},
	};
	const cosine = (a: number[], b: number[]) => {
		const dot = a.reduce((s, x, i) => s + x * (b[i] ?? 0), 0);
		const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0)) || 1;
		return dot / (norm(a) * norm(b));
	};
	const index = {
		upsert: async (list: { id: string; values: number[]; namespace: string }[]) => {
			calls.upserts += list.length;
			for (const v of list) vectors.set(v.id, { values: v.values, namespace: v.namespace });
			return { mutationId: "m" };
		},
		deleteByIds: async (ids: string[]) => {
			calls.deletes.push(...ids);
			for (const id of ids) vectors.delete(id);
			return { mutationId: "m" };
		},
		query: async (vector: number[], { topK, namespace }: { topK: number; namespace: string }) => ({
			count: 0,
			matches: [...vectors.entries()]
				.filter(([, v]) => v.namespace === namespace)
				.map(([id, v]) => ({ id, score: cosine(vector, v.values) }))
				.filter((m) => m.score > 0)
				.sort((a, b) => b.score - a.score)
				.slice(0, topK),
		}),
	};
	return { env: { ...env, AI: ai, MEMORY_INDEX: index } as unknown as Env, vectors, calls };
}

describe("hybrid memory search (AI and MEMORY_INDEX bound)", () => {
	it("finds a memory by meaning that shares no word with the query, and still ranks word matches", async () => {
		const { env: bound } = bindings();
		const user = await newUser();
		const parked = await createMemory(
			bound,
			user.id,
			{ text: "My automobile is parked on level three" },
			{ kind: "you" },
		);
		const levels = await createMemory(bound, user.id, { text: "The office is on level five" }, { kind: "you" });
		const found = await searchMemories(bound, user.id, "where is my vehicle?", { limit: 5 });
		expect(found.map((m) => m.id)).toEqual([parked.id]);
		// Without the bindings, the same query finds nothing: no word matches.
		expect(await searchMemories(env, user.id, "where is my vehicle?", { limit: 5 })).toEqual([]);
		// Both rankings agree on the one that matches words and meaning: it comes first.
		const both = await searchMemories(bound, user.id, "vehicle level", { limit: 5 });
		expect(both.map((m) => m.id)).toEqual([parked.id, levels.id]);
	});

	it("never returns another user's memory, whatever the index holds", async () => {
		const { env: bound } = bindings();
		const [alice, bob] = [await newUser(), await newUser()];
		await createMemory(bound, alice.id, { text: "Alice's physician is Dr Okafor" }, { kind: "you" });
		expect(await searchMemories(bound, bob.id, "who is my doctor", { limit: 5 })).toEqual([]);
	});

	it("forgetting a memory drops its vector", async () => {
		const { env: bound, vectors, calls } = bindings();
		const user = await newUser();
		const memory = await createMemory(bound, user.id, { text: "My flat is on Elm Street" }, { kind: "you" });
		expect(vectors.has(memory.id)).toBe(true);
		expect(await forgetMemory(bound, user.id, memory.id)).toBe(true);
		expect(calls.deletes).toEqual([memory.id]);
		expect(vectors.has(memory.id)).toBe(false);
	});

	it("a failing embeddings model fails neither the save nor the search: full text carries on", async () => {
		const { env: failing, calls } = bindings({ failEmbeddings: true });
		const user = await newUser();
		const memory = await createMemory(failing, user.id, { text: "My car is blue" }, { kind: "you" });
		expect(calls.upserts).toBe(0);
		expect((await searchMemories(failing, user.id, "car", { limit: 5 })).map((m) => m.id)).toEqual([memory.id]);
	});
});

describe("fuseRankings", () => {
	it("puts what both lists rank high first, and keeps what only one has", () => {
		expect(
			fuseRankings([
				["a", "b", "c"],
				["b", "d"],
			]),
		).toEqual(["b", "a", "d", "c"]);
		expect(fuseRankings([[], ["x"]])).toEqual(["x"]);
	});
});
