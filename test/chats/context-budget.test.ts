// A chat's history within a token budget (src/chats/context.ts), pure: random histories of
// random sizes never exceed the history's share, the newest turns are the ones kept, and a
// huge message is cut visibly.

import { describe, expect, it } from "vitest";
import { messagesTokens } from "../../src/agent/prompt-size.ts";
import { cutText, estimateTokens } from "../../src/agent/tokens.ts";
import {
	groupTurns,
	type HistoryTurn,
	historyMessages,
	historyShares,
	planHistory,
	prefaceTokens,
	type StoredRow,
} from "../../src/chats/context.ts";
import { random } from "../support/random.ts";

const ALPHABETS = ["abc def ghi\n", 'quote "x" \\ back', "日本語のテキスト", "emoji 🙂🚀 ", "ação é ü "];

function text(rand: () => number, chars: number): string {
	const alphabet = ALPHABETS[Math.floor(rand() * ALPHABETS.length)] as string;
	let out = "";
	while (out.length < chars) out += alphabet;
	return out.slice(0, chars);
}

/** Turns of random sizes: mostly small, sometimes huge (a pasted document, a long answer). */
function randomTurns(rand: () => number, count: number): HistoryTurn[] {
	const rows: StoredRow[] = [];
	for (let i = 0; i < count; i++) {
		const size = () => (rand() < 0.05 ? Math.floor(rand() * 60_000) : Math.floor(rand() * 2_000));
		const base = { turn_id: `t${i}`, created_at: 1000 + i, tool_name: null, tool_args: null };
		rows.push({ ...base, role: "user", content: text(rand, size() + 1) });
		if (rand() < 0.3)
			rows.push({
				...base,
				role: "tool",
				tool_name: "read_file",
				tool_args: text(rand, 500),
				content: text(rand, 3000),
			});
		if (rand() < 0.9) rows.push({ ...base, role: "assistant", content: text(rand, size() + 1) });
	}
	return groupTurns(rows);
}

describe("a chat's history within its share of the budget", () => {
	it("never exceeds the share, for random histories, budgets and summaries", () => {
		for (let seed = 1; seed <= 300; seed++) {
			const rand = random(seed);
			const shares = historyShares(400 + Math.floor(rand() * 60_000));
			const turns = randomTurns(rand, Math.floor(rand() * 80));
			const previous = rand() < 0.5 ? text(rand, Math.floor(rand() * 40_000)) : undefined;
			const plan = planHistory(prefaceTokens({ summary: previous }, shares), turns, shares);
			const context = `seed ${seed}, shares ${JSON.stringify(shares)}`;
			if (plan.kind === "fits") {
				expect(messagesTokens(historyMessages({ summary: previous }, plan.turns, shares)), context).toBeLessThanOrEqual(
					shares.history,
				);
				continue;
			}
			// Compacted: the new summary (whatever the model wrote) and the newest turns.
			expect([...plan.older, ...plan.kept]).toEqual(turns);
			const written = text(rand, Math.floor(rand() * 30_000));
			expect(messagesTokens(historyMessages({ summary: written }, plan.kept, shares)), context).toBeLessThanOrEqual(
				shares.history,
			);
			// Or, when the model failed: the previous summary, a note, and the same newest turns.
			const fallback = historyMessages({ summary: previous, leftOut: plan.older.length }, plan.kept, shares);
			expect(messagesTokens(fallback), context).toBeLessThanOrEqual(shares.history);
		}
	});

	it("keeps the newest turns word for word, as many as fit in half the share", () => {
		const turn = (i: number, chars: number): StoredRow[] => [
			{
				turn_id: `t${i}`,
				created_at: i,
				role: "user",
				content: `question ${i} ${"q".repeat(chars)}`,
				tool_name: null,
				tool_args: null,
			},
			{
				turn_id: `t${i}`,
				created_at: i,
				role: "assistant",
				content: `answer ${i} ${"a".repeat(chars)}`,
				tool_name: null,
				tool_args: null,
			},
		];
		const turns = groupTurns(Array.from({ length: 30 }, (_, i) => turn(i, 400)).flat());
		const shares = historyShares(4_000);
		const plan = planHistory(0, turns, shares);
		if (plan.kind !== "compact") return expect.fail("30 turns of 200 tokens outgrow a 2,000-token share");
		expect(plan.kept.map((t) => t.turnId)).toEqual(turns.slice(-plan.kept.length).map((t) => t.turnId));
		expect(plan.kept.length).toBeGreaterThan(1);
		const messages = historyMessages({ summary: "they talked" }, plan.kept, shares);
		const all = JSON.stringify(messages);
		expect(all).toContain("they talked");
		for (const t of plan.kept) for (const row of t.rows) expect(all).toContain(row.content);
		expect(all).not.toContain(turns[0]?.rows[0]?.content);
		// One turn more would not have fitted in half the share.
		const next = turns[turns.length - plan.kept.length - 1] as HistoryTurn;
		const keptTokens = messagesTokens(historyMessages({}, plan.kept, shares));
		expect(keptTokens).toBeLessThanOrEqual(shares.keep);
		expect(messagesTokens(historyMessages({}, [next, ...plan.kept], shares))).toBeGreaterThan(shares.keep - 20);
	});

	it("fits as it is while it fits, with the summary first", () => {
		const rows: StoredRow[] = [
			{ turn_id: "t1", created_at: 1, role: "user", content: "hi", tool_name: null, tool_args: null },
			{ turn_id: "t1", created_at: 1, role: "assistant", content: "hello", tool_name: null, tool_args: null },
		];
		const shares = historyShares(4_000);
		const plan = planHistory(prefaceTokens({ summary: "they met" }, shares), groupTurns(rows), shares);
		expect(plan.kind).toBe("fits");
		expect(historyMessages({ summary: "they met" }, groupTurns(rows), shares)).toEqual([
			{
				role: "user",
				content: "Summary of the earlier part of this chat (older turns, compacted to fit):\nthey met\n\nhi",
			},
			{ role: "assistant", content: "hello" },
		]);
		expect(historyMessages({ leftOut: 12 }, [], shares)).toEqual([
			{ role: "user", content: "[12 earlier turns left out]" },
		]);
	});

	it("cuts a huge message visibly, saying how much was left out", () => {
		const huge = "x".repeat(123_456);
		const shares = historyShares(4_000);
		const rows: StoredRow[] = [
			{ turn_id: "t1", created_at: 1, role: "user", content: huge, tool_name: null, tool_args: null },
			{ turn_id: "t1", created_at: 1, role: "assistant", content: "ok", tool_name: null, tool_args: null },
		];
		const [user] = historyMessages({}, groupTurns(rows), shares);
		const content = String(user?.content);
		const kept = content.indexOf("…");
		expect(content.slice(kept)).toBe(`… [cut: ${(123_456 - kept).toLocaleString("en-US")} characters]`);
		expect(estimateTokens(content)).toBeLessThanOrEqual(shares.message);
		expect(kept).toBeGreaterThan(shares.message * 3);
	});

	it("groups rows into turns by turn and start, in order", () => {
		const row = (turn_id: string | null, created_at: number): StoredRow => ({
			turn_id,
			created_at,
			role: "user",
			content: `${turn_id}@${created_at}`,
			tool_name: null,
			tool_args: null,
		});
		const turns = groupTurns([row("a", 1), row("a", 1), row("b", 2), row(null, 3), row("a", 4)]);
		expect(turns.map((t) => [t.turnId, t.createdAt, t.rows.length])).toEqual([
			["a", 1, 2],
			["b", 2, 1],
			["", 3, 1],
			["a", 4, 1],
		]);
	});
});

describe("cutText", () => {
	it("leaves what fits alone and cuts the rest within the limit, counting characters, never splitting one", () => {
		expect(cutText("short", 10)).toBe("short");
		for (let seed = 1; seed <= 200; seed++) {
			const rand = random(seed);
			const whole = text(rand, 1 + Math.floor(rand() * 5_000));
			const max = 20 + Math.floor(rand() * 1_000);
			const cut = cutText(whole, max);
			expect(estimateTokens(cut), `seed ${seed}`).toBeLessThanOrEqual(max);
			if (cut === whole) continue;
			const at = cut.lastIndexOf("… [cut: ");
			const kept = cut.slice(0, at);
			expect(whole.startsWith(kept)).toBe(true);
			expect(cut.slice(at)).toBe(`… [cut: ${[...whole.slice(kept.length)].length.toLocaleString("en-US")} characters]`);
			// No lone half of a surrogate pair at the cut.
			expect(/[\uD800-\uDBFF]$/.test(kept)).toBe(false);
		}
	});
});
