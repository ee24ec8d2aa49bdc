import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type Chat, type ChatSummary, ChatSummarySchema } from "../../src/protocol/index.ts";
import { insertSummary, latestSummary } from "../../src/storage/chat-summaries.ts";
import { adminToken, api, json, newUser } from "../support/api.ts";

const summary = (chat: Chat, n: number, through: number): ChatSummary => ({
	id: `sum_${chat.id}_${n}`,
	chat_id: chat.id,
	through_created_at: through,
	through_turn_id: `turn_${n}`,
	content: `summary ${n}`,
	turns: n * 10,
	model: "demo",
	created_at: 1_000 + n,
});

describe("GET /api/chats/:id/summaries", () => {
	it("lists a chat's summaries newest first, to its owner only", async () => {
		const [user, other] = await Promise.all([newUser(), newUser()]);
		const { chat } = await json<{ chat: Chat }>(api("/api/chats", { token: user.token, body: {} }));
		const empty = await api(`/api/chats/${chat.id}/summaries`, { token: user.token });
		expect(empty.status).toBe(200);
		expect(await empty.json()).toEqual({ summaries: [] });

		for (const [n, through] of [
			[1, 100],
			[3, 300],
			[2, 200],
		] as const)
			await insertSummary(env.DB, summary(chat, n, through));
		const { summaries } = await json<{ summaries: unknown[] }>(
			api(`/api/chats/${chat.id}/summaries`, { token: user.token }),
		);
		expect(summaries.map((s) => ChatSummarySchema.parse(s).id)).toEqual([3, 2, 1].map((n) => `sum_${chat.id}_${n}`));
		expect(summaries[0]).toEqual(summary(chat, 3, 300));

		for (const token of [other.token, adminToken()])
			expect((await api(`/api/chats/${chat.id}/summaries`, { token })).status).toBe(404);
		expect((await api(`/api/chats/${chat.id}/summaries`)).status).toBe(401);
		expect((await api("/api/chats/chat_missing/summaries", { token: user.token })).status).toBe(404);
	});

	it("gives a turn the newest summary of the turns before it, never one of the turn itself", async () => {
		const user = await newUser();
		const { chat } = await json<{ chat: Chat }>(api("/api/chats", { token: user.token, body: {} }));
		await insertSummary(env.DB, summary(chat, 1, 100));
		await insertSummary(env.DB, summary(chat, 2, 200));
		expect((await latestSummary(env.DB, chat.id, { id: "turn_9", created_at: 250 }))?.id).toBe(`sum_${chat.id}_2`);
		expect((await latestSummary(env.DB, chat.id, { id: "turn_9", created_at: 150 }))?.id).toBe(`sum_${chat.id}_1`);
		expect((await latestSummary(env.DB, chat.id, { id: "turn_2", created_at: 200 }))?.id).toBe(`sum_${chat.id}_1`);
		expect(await latestSummary(env.DB, chat.id, { id: "turn_0", created_at: 50 })).toBeNull();
		// Deleting the chat deletes its summaries.
		expect((await api(`/api/chats/${chat.id}`, { method: "DELETE", token: user.token })).status).toBe(204);
		const left = await env.DB.prepare("SELECT count(*) AS n FROM chat_summaries WHERE chat_id = ?")
			.bind(chat.id)
			.first<{ n: number }>();
		expect(left?.n).toBe(0);
	});
});
