// A chat of 300 long turns through the real runner (issue #24, "Context that fits"): the
// turns' history rows are written straight to D1 in batches (300 real turns would be slow),
// and after each batch real turns run against the fake OpenAI-compatible server, which
// records every request. Every request stays within SPARKY_CONTEXT_TOKENS, measured at the
// server; older turns are compacted into a stored summary that later turns reuse; and what
// was said first is still in the prompt 300 turns later.

import { env } from "cloudflare:workers";
import { MockLanguageModelV4 } from "ai/test";
import { describe, expect, inject, it } from "vitest";
import { DEMO_SUMMARY_TITLE } from "../../src/agent/demo-summary.ts";
import { resolveModel } from "../../src/agent/models.ts";
import { estimateTokens } from "../../src/agent/tokens.ts";
import { hubFor } from "../../src/hub/stub.ts";
import type { Chat, ChatSummary, WireEvent } from "../../src/protocol/index.ts";
import { runClaimedTask } from "../../src/runner/run-task.ts";
import { listSummaries } from "../../src/storage/chat-summaries.ts";
import { type ChatMessageRow, putMessages } from "../../src/storage/chats.ts";
import { api, json, newUser } from "../support/api.ts";
import type { RecordedRequest } from "../support/fake-llm-server.ts";
import { asResolution, stream, textParts } from "../support/models.ts";
import { claimed, queuedTask } from "../support/tasks.ts";

const fakeUrl = inject("fakeLlmUrl");
const BUDGET = 6_000;
/** What the first turn said, and nothing else does. */
const FIRST_WORDS = "my lucky charm is a brass zebra named Quartzfeld";

let counter = 0;

/** A long-ish sentence stream: varied words, no tool keywords (the demo model would call tools). */
function prose(seed: number, chars: number): string {
	const words = [
		"river",
		"lantern",
		"orchard",
		"copper",
		"meadow",
		"violet",
		"harbour",
		"granite",
		"saffron",
		"willow",
	];
	let text = "";
	for (let i = 0; text.length < chars; i++)
		text += `${words[(seed * 7 + i * 3) % words.length]}${i % 9 === 8 ? ". " : " "}`;
	return text.slice(0, chars);
}

interface LongChat {
	user: { id: string; token: string };
	chat: Chat;
	runEnv: Env;
	tag: string;
	/** When the next turn begins (turns are a second apart, in the past). */
	clock: number;
	turns: number;
}

async function longChat(vars: Record<string, string> = {}): Promise<LongChat> {
	const user = await newUser();
	const { chat } = await json<{ chat: Chat }>(api("/api/chats", { token: user.token, body: { title: "long" } }));
	const tag = `long-chat-${Date.now().toString(36)}-${counter++}`;
	const runEnv = {
		...env,
		SPARKY_OPENAI_COMPAT_BASE_URL: `${fakeUrl}/t/${tag}/openai/v1`,
		SPARKY_OPENAI_COMPAT_API_KEY: "test-key-long-chat",
		...vars,
	} as Env;
	return { user, chat, runEnv, tag, clock: Date.now() - 10_000_000, turns: 0 };
}

/** `n` long turns written as history rows (a person's message, an answer, a tool note now and then). */
async function insertTurns(c: LongChat, n: number, { short = false } = {}): Promise<void> {
	const rows: ChatMessageRow[] = [];
	for (let k = 0; k < n; k++) {
		const i = c.turns++;
		const turnId = `turn_h${i}_${c.chat.id}`;
		c.clock += 1000;
		const at = c.clock;
		const said = i === 0 ? `${FIRST_WORDS}. ${prose(i, 700)}` : `Turn ${i}: ${prose(i, 800)}`;
		const row = (suffix: string, ordinal: number, fields: Partial<ChatMessageRow>): ChatMessageRow => ({
			id: `${turnId}:${suffix}`,
			chat_id: c.chat.id,
			turn_id: turnId,
			role: "user",
			content: "",
			tool_name: null,
			tool_args: null,
			created_at: at,
			ordinal,
			...fields,
		});
		if (short) {
			rows.push(
				row("user", 0, { content: `Turn ${i}: ${prose(i, 60)}` }),
				row("answer", 1, { role: "assistant", content: `Answer ${i}.` }),
			);
			continue;
		}
		rows.push(row("user", 0, { content: said }));
		if (i % 5 === 0)
			rows.push(row("tool", 1, { role: "tool", tool_name: "list_files", tool_args: "{}", content: prose(i + 1, 900) }));
		rows.push(row("answer", 2, { role: "assistant", content: `Answer ${i}. ${prose(i + 2, 1600)}` }));
	}
	await putMessages(env.DB, rows);
}

/** A real turn through the runner: the message stored as `sendMessage` stores it, then claimed and run. */
async function realTurn(c: LongChat, text: string, model = resolveModel(c.runEnv, "openai-compatible:echo")) {
	c.clock += 1000;
	const at = c.clock;
	c.turns++;
	const turn = await queuedTask(c.user.id, {
		kind: "chat",
		chat_id: c.chat.id,
		chat_user_id: c.user.id,
		instruction: text,
		created_at: at,
	});
	await putMessages(env.DB, [
		{
			id: `${turn.id}:user`,
			chat_id: c.chat.id,
			turn_id: turn.id,
			role: "user",
			content: text,
			tool_name: null,
			tool_args: null,
			created_at: at,
			ordinal: 0,
		},
	]);
	const held = await claimed(turn);
	expect(await runClaimedTask(c.runEnv, held.row, held.owner, { model })).toEqual({
		kind: "done",
		status: "succeeded",
	});
	const { events } = await hubFor(env, c.user.id).taskEvents(turn.id);
	return { turn, events };
}

async function requestsOf(c: LongChat): Promise<RecordedRequest[]> {
	const res = await fetch(`${fakeUrl}/__requests?tag=${encodeURIComponent(c.tag)}`);
	return ((await res.json()) as { requests: RecordedRequest[] }).requests;
}

/** A request's prompt as the provider got it: its messages and its tools, estimated. */
function promptTokens(request: RecordedRequest): number {
	const body = request.body as { messages: unknown[]; tools?: unknown[] };
	return estimateTokens(JSON.stringify(body.messages)) + estimateTokens(JSON.stringify(body.tools ?? []));
}

const isTurnCall = (r: RecordedRequest) => Array.isArray((r.body as { tools?: unknown[] }).tools);
const compacted = (events: WireEvent[]) =>
	events.filter((e) => e.type === "CUSTOM" && e.name === "sparky.context.compacted");

describe("a chat of 300 long turns within SPARKY_CONTEXT_TOKENS", () => {
	it("compacts its older turns into summaries it reuses, keeps every prompt within the budget, and remembers the first turn", async () => {
		const c = await longChat({ SPARKY_CONTEXT_TOKENS: String(BUDGET) });
		let summaries: ChatSummary[] = [];
		for (let round = 1; round <= 10; round++) {
			await insertTurns(c, 30);
			// The history outgrew its share: this turn compacts it first.
			const first = await realTurn(c, `Round ${round}: what did I tell you first?`);
			summaries = await listSummaries(env.DB, c.chat.id);
			expect(summaries).toHaveLength(round);
			const latest = summaries[0] as ChatSummary;
			expect(compacted(first.events).map((e) => e.value)).toEqual([
				{ summary_id: latest.id, turns: latest.turns, through_turn_id: latest.through_turn_id },
			]);
			// The summary folds in the one before it: what was said first is still there.
			expect(latest.content).toContain(FIRST_WORDS);
			expect(latest.model).toBe("openai-compatible:echo");

			// The next turn reuses that summary: no new compaction until the history outgrows again.
			const second = await realTurn(c, `Round ${round}: and what else?`);
			expect(compacted(second.events)).toEqual([]);
			expect(await listSummaries(env.DB, c.chat.id)).toHaveLength(round);

			const turnCalls = (await requestsOf(c)).filter(isTurnCall);
			const lastPrompt = JSON.stringify((turnCalls.at(-1)?.body as { messages?: unknown } | undefined)?.messages);
			expect(lastPrompt).toContain(FIRST_WORDS);
			expect(lastPrompt).toContain(`Round ${round}: what did I tell you first?`);
		}

		const requests = await requestsOf(c);
		const sizes = requests.map(promptTokens);
		expect(Math.max(...sizes)).toBeLessThanOrEqual(BUDGET);
		// Both kinds were sent: 20 turn calls, and the summarisation calls (no tools) between them.
		expect(requests.filter(isTurnCall)).toHaveLength(20);
		expect(requests.filter((r) => !isTurnCall(r)).length).toBeGreaterThanOrEqual(10);
		// Every call the provider got is on the bill: turn calls as steps, summaries as step 0.
		const ledger = await env.DB.prepare(
			"SELECT SUM(step = 0) AS summaries, SUM(step > 0) AS steps FROM model_calls WHERE chat_id = ?",
		)
			.bind(c.chat.id)
			.first<{ summaries: number; steps: number }>();
		expect(ledger).toEqual({
			summaries: requests.filter((r) => !isTurnCall(r)).length,
			steps: requests.filter(isTurnCall).length,
		});
		// The latest summary covers every turn before the newest kept word for word.
		const latest = summaries[0] as ChatSummary;
		expect(latest.turns).toBeGreaterThan(290);
		expect(latest.turns).toBeLessThan(c.turns);

		// The owner reads them, newest first; nobody else does.
		const listed = await json<{ summaries: ChatSummary[] }>(
			api(`/api/chats/${c.chat.id}/summaries`, { token: c.user.token }),
		);
		expect(listed.summaries.map((s) => s.id)).toEqual(summaries.map((s) => s.id));
		const stranger = await newUser();
		expect((await api(`/api/chats/${c.chat.id}/summaries`, { token: stranger.token })).status).toBe(404);
	}, 120_000);

	it("when summarising fails, leaves the older turns out visibly and still answers within the budget", async () => {
		const c = await longChat({ SPARKY_CONTEXT_TOKENS: String(BUDGET) });
		await insertTurns(c, 30);
		const prompts: string[] = [];
		const model = new MockLanguageModelV4({
			doStream: async (options) => {
				// The summarisation call is the one without tools: the provider is down for it.
				if (!options.tools?.length) throw new Error("provider unavailable");
				prompts.push(JSON.stringify(options.prompt));
				return stream(textParts("answered anyway"));
			},
		});
		const { events } = await realTurn(c, "still there?", asResolution(model));
		expect(compacted(events)).toEqual([]);
		expect(await listSummaries(env.DB, c.chat.id)).toEqual([]);
		expect(prompts).toHaveLength(1);
		const left = /\[(\d+) earlier turns left out\]/.exec(prompts[0] as string);
		expect(Number(left?.[1])).toBeGreaterThan(20);
		expect(prompts[0]).not.toContain(FIRST_WORDS);
		expect(prompts[0]).toContain("still there?");
	});

	it("reads a bounded number of rows, and counts the older turns it could not read as left out", async () => {
		const c = await longChat();
		// 500 rows: more than a turn reads (400); the 50 oldest turns are never read.
		await insertTurns(c, 250, { short: true });
		await realTurn(c, "hello", resolveModel(c.runEnv, "demo"));
		const [summary] = await listSummaries(env.DB, c.chat.id);
		if (!summary) return expect.fail("no summary");
		// It covers every turn up to its last one, the unread ones counted in.
		expect(summary.through_turn_id).toBe(`turn_h${summary.turns - 1}_${c.chat.id}`);
		expect(summary.turns).toBeGreaterThan(200);
		expect(summary.turns).toBeLessThan(250);
		expect(summary.content).not.toContain("Turn 0:");
	});

	it("with the demo model, offline: a deterministic summary that starts with the first turn", async () => {
		const c = await longChat();
		await insertTurns(c, 40);
		const demo = resolveModel(c.runEnv, "demo");
		const { events } = await realTurn(c, "hello again", demo);
		const [summary] = await listSummaries(env.DB, c.chat.id);
		expect(summary?.model).toBe("demo");
		expect(summary?.content.startsWith(`${DEMO_SUMMARY_TITLE}\n- You said "${FIRST_WORDS}`)).toBe(true);
		expect(compacted(events)).toHaveLength(1);
		// A turn later the summary is reused as it is.
		const next = await realTurn(c, "and now?", demo);
		expect(compacted(next.events)).toEqual([]);
		expect(await listSummaries(env.DB, c.chat.id)).toHaveLength(1);
	});
});
