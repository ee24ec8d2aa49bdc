// Searching memories against real D1 (FTS5): ranking, any script, and a query that is always
// data, never FTS5 syntax.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { searchMemories } from "../../src/memory/service.ts";
import { newUser } from "../support/api.ts";
import { type MemoryPage, memoriesOf, storedMemory } from "../support/memories.ts";

const DAY = 86_400_000;
const texts = (page: MemoryPage) => page.memories.map((m) => m.text);
const search = (token: string, q: string) => memoriesOf(token, `?q=${encodeURIComponent(q)}`);

describe("memory search", () => {
	it("ranks a memory matching more of the query's words first", async () => {
		const user = await newUser();
		await storedMemory(user.id, "Bob likes green apples and swimming in the sea");
		await storedMemory(user.id, "Alice likes green tea and hiking in the mountains");
		await storedMemory(user.id, "Carol drinks tea every morning before her work");
		await storedMemory(user.id, "Dave collects stamps from faraway countries");
		const found = texts(await search(user.token, "green tea hiking"));
		expect(found[0]).toBe("Alice likes green tea and hiking in the mountains");
		expect(found).toHaveLength(3);
		expect(found).not.toContain("Dave collects stamps from faraway countries");
		// Another order of words, same best match; and a prefix finds the longer word.
		expect(texts(await search(user.token, "hik tea"))[0]).toBe("Alice likes green tea and hiking in the mountains");
	});

	it("breaks a tie by recency: the memory changed last ranks first", async () => {
		const user = await newUser();
		const now = Date.now();
		// Same words: bm25 can't tell them apart. The older one was created later (so creation
		// order alone would put it first), but the other was edited yesterday.
		const edited = await storedMemory(user.id, "I parked the car on level three", {
			createdAt: now - 900 * DAY,
			updatedAt: now - DAY,
		});
		const stale = await storedMemory(user.id, "I parked the car on level three", {
			createdAt: now - 700 * DAY,
			updatedAt: now - 700 * DAY,
		});
		const page = await search(user.token, "where did I park the car");
		expect(page.memories.map((m) => m.id)).toEqual([edited, stale]);
		const rows = await searchMemories(env, user.id, "parked car", { limit: 5 }, now);
		expect(rows.map((r) => r.id)).toEqual([edited, stale]);
	});

	it("finds words in any script: accents folded, Cyrillic, Greek, Chinese by substring", async () => {
		const user = await newUser();
		await storedMemory(user.id, "Mon café préféré est près de la gare");
		await storedMemory(user.id, "Моя собака Шарик любит гулять");
		await storedMemory(user.id, "Η γάτα μου κοιμάται στον καναπέ");
		await storedMemory(user.id, "我最喜欢喝的茶是龙井绿茶");
		await storedMemory(user.id, "東京の天気は晴れです");
		await storedMemory(user.id, "Plain ASCII about a cafeteria");
		const one = async (q: string) => texts(await search(user.token, q));
		expect(await one("cafe")).toEqual(expect.arrayContaining(["Mon café préféré est près de la gare"]));
		expect((await one("CAFÉ prefere"))[0]).toBe("Mon café préféré est près de la gare");
		expect(await one("собака")).toEqual(["Моя собака Шарик любит гулять"]);
		expect(await one("ШАРИК")).toEqual(["Моя собака Шарик любит гулять"]);
		expect(await one("γάτα")).toEqual(["Η γάτα μου κοιμάται στον καναπέ"]);
		expect(await one("ΓΆΤΑ")).toEqual(["Η γάτα μου κοιμάται στον καναπέ"]);
		expect(await one("龙井")).toEqual(["我最喜欢喝的茶是龙井绿茶"]);
		expect(await one("喝的茶是龙井绿茶")).toEqual(["我最喜欢喝的茶是龙井绿茶"]);
		expect(await one("天気")).toEqual(["東京の天気は晴れです"]);
		// A long substring (D1 refuses LIKE patterns over 50 bytes; this is 57).
		expect(await one("我最喜欢喝的茶是龙井绿茶我最喜欢喝的")).toEqual([]);
		expect(await one("🍵🍵")).toEqual([]);
	});

	it("treats FTS5 syntax in a query as data: never an error, searched as words", async () => {
		const user = await newUser();
		await storedMemory(user.id, "we met near the old river bridge");
		await storedMemory(user.id, "apples taste better than pears");
		await storedMemory(user.id, "the col of the mountain pass was closed");
		await storedMemory(user.id, "x marks the spot on the map");
		await storedMemory(user.id, "rock and roll forever");
		await storedMemory(user.id, 'she said "hello" then left');
		const cases: [string, string[]][] = [
			["NEAR(river bridge)", ["we met near the old river bridge"]],
			["near", ["we met near the old river bridge"]],
			["-x", ["x marks the spot on the map"]],
			["^x", ["x marks the spot on the map"]],
			["col:mountain", ["the col of the mountain pass was closed"]],
			["apples OR pears", ["apples taste better than pears"]],
			["apples NOT pears", ["apples taste better than pears"]],
			["AND", ["rock and roll forever"]],
			['"river', ["we met near the old river bridge"]],
			["(river", ["we met near the old river bridge"]],
			["river)", ["we met near the old river bridge"]],
			['"hello', ['she said "hello" then left']],
			["spo*", ["x marks the spot on the map"]],
			["map}{[]", ["x marks the spot on the map"]],
		];
		for (const [q, expected] of cases) {
			const res = await memoriesOf(user.token, `?q=${encodeURIComponent(q)}`);
			expect(texts(res), q).toEqual(expected);
		}
		// Queries with no word at all: a plain substring search, still no error.
		for (const q of ['"', "*", "(", ")", '"""', "-", "^", ":", "NEAR(", "{}", "''"]) {
			const page = await search(user.token, q);
			expect(Array.isArray(page.memories), q).toBe(true);
		}
		expect(texts(await search(user.token, '"'))).toEqual(['she said "hello" then left']);
		// The service alone, too (what recall and the MCP tool call).
		for (const q of ['"', "NEAR(a b)", "a OR b", "col:x", '"unbalanced', "((", "AND OR NOT"]) {
			await expect(searchMemories(env, user.id, q, { limit: 5 })).resolves.toBeInstanceOf(Array);
		}
	});
});
