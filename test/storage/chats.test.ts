import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type Chat, newId } from "../../src/protocol/index.ts";
import {
	type ChatMessageRow,
	deleteChat,
	getChat,
	historyPage,
	insertChat,
	listChats,
	putMessages,
	recentMessages,
	updateChat,
} from "../../src/storage/chats.ts";
import { dbUser } from "../support/db.ts";

async function chatOf(userId: string, overrides: Partial<Chat> = {}): Promise<Chat> {
	const chat: Chat = {
		id: newId("chat", 9),
		user_id: userId,
		title: "New chat",
		created_at: 1,
		updated_at: 1,
		policy: "queue",
		...overrides,
	};
	await insertChat(env.DB, chat);
	return chat;
}

const message = (chatId: string, overrides: Partial<ChatMessageRow> & { id: string }): ChatMessageRow => ({
	chat_id: chatId,
	turn_id: null,
	role: "user",
	content: overrides.id,
	tool_name: null,
	tool_args: null,
	created_at: 1,
	ordinal: 0,
	...overrides,
});

describe("storage: chats", () => {
	it("inserts a chat and reads it back", async () => {
		const user = await dbUser();
		const chat = await chatOf(user.id, { title: "Plans" });
		expect(await getChat(env.DB, chat.id)).toEqual(chat);
		expect(await getChat(env.DB, "chat_missing")).toBeNull();
	});

	it("refuses a second chat with the same id", async () => {
		const user = await dbUser();
		const chat = await chatOf(user.id);
		await expect(insertChat(env.DB, chat)).rejects.toThrow(/UNIQUE|PRIMARY/);
	});

	it("lists a user's chats most recently updated first (ties: higher id first), capped by limit", async () => {
		const user = await dbUser();
		const other = await dbUser();
		await chatOf(user.id, { id: `chat_a_${user.id}`, updated_at: 5 });
		await chatOf(user.id, { id: `chat_b_${user.id}`, updated_at: 5 });
		await chatOf(user.id, { id: `chat_c_${user.id}`, updated_at: 9 });
		await chatOf(user.id, { id: `chat_d_${user.id}`, updated_at: 1 });
		await chatOf(other.id, { updated_at: 100 });
		expect((await listChats(env.DB, user.id)).map((c) => c.id)).toEqual([
			`chat_c_${user.id}`,
			`chat_b_${user.id}`,
			`chat_a_${user.id}`,
			`chat_d_${user.id}`,
		]);
		expect((await listChats(env.DB, user.id, 2)).map((c) => c.id)).toEqual([`chat_c_${user.id}`, `chat_b_${user.id}`]);
	});

	it("renames, or only touches updated_at without a title; null for a missing chat", async () => {
		const user = await dbUser();
		const chat = await chatOf(user.id, { title: "Old" });
		expect(await updateChat(env.DB, chat.id, { title: "New" }, 50)).toMatchObject({ title: "New", updated_at: 50 });
		expect(await updateChat(env.DB, chat.id, {}, 60)).toMatchObject({ title: "New", updated_at: 60, created_at: 1 });
		expect(await updateChat(env.DB, "chat_missing", { title: "x" }, 1)).toBeNull();
	});

	it("deletes a chat with its history, and only that chat's", async () => {
		const user = await dbUser();
		const chat = await chatOf(user.id);
		const kept = await chatOf(user.id);
		await putMessages(env.DB, [message(chat.id, { id: newId("m", 6) }), message(kept.id, { id: newId("m", 6) })]);
		expect(await deleteChat(env.DB, chat.id)).toEqual(chat);
		expect(await getChat(env.DB, chat.id)).toBeNull();
		expect(await historyPage(env.DB, chat.id, 10)).toEqual([]);
		expect(await historyPage(env.DB, kept.id, 10)).toHaveLength(1);
		expect(await deleteChat(env.DB, chat.id)).toBeNull();
	});

	it("rewrites a message with the same id (content and tool args only)", async () => {
		const user = await dbUser();
		const chat = await chatOf(user.id);
		const id = newId("m", 6);
		await putMessages(env.DB, [message(chat.id, { id, role: "tool", content: "v1", tool_args: "{}", ordinal: 2 })]);
		await putMessages(env.DB, [
			message(chat.id, { id, role: "tool", content: "v2", tool_args: '{"a":1}', ordinal: 7, created_at: 99 }),
		]);
		expect(await historyPage(env.DB, chat.id, 10)).toEqual([
			message(chat.id, { id, role: "tool", content: "v2", tool_args: '{"a":1}', ordinal: 2 }),
		]);
	});

	it("never rewrites a row of another chat, or of another turn, that holds the same id (issue 22)", async () => {
		const owner = await dbUser();
		const intruder = await dbUser();
		const victim = await chatOf(owner.id);
		const other = await chatOf(intruder.id);
		const id = `turn_${owner.id}:user`;
		const original = message(victim.id, { id, turn_id: `turn_${owner.id}`, content: "my plan" });
		await putMessages(env.DB, [original]);
		// Another chat's write with that id: not an update, and no new row either.
		await putMessages(env.DB, [message(other.id, { id, turn_id: `turn_${owner.id}`, content: "INJECTED" })]);
		await putMessages(env.DB, [message(other.id, { id, turn_id: null, content: "INJECTED", tool_args: "{}" })]);
		// The same chat, another turn: not rewritten either.
		await putMessages(env.DB, [message(victim.id, { id, turn_id: "turn_other", content: "INJECTED" })]);
		expect(await historyPage(env.DB, victim.id, 10)).toEqual([original]);
		expect(await historyPage(env.DB, other.id, 10)).toEqual([]);
		// Rows in the same batch that don't collide are still written.
		await putMessages(env.DB, [
			message(other.id, { id, content: "INJECTED" }),
			message(other.id, { id: `${other.id}:m1`, content: "mine" }),
		]);
		expect((await historyPage(env.DB, other.id, 10)).map((r) => r.content)).toEqual(["mine"]);
		expect(await historyPage(env.DB, victim.id, 10)).toEqual([original]);
	});

	it("writes nothing for no rows", async () => {
		await expect(putMessages(env.DB, [])).resolves.toBeUndefined();
	});

	it("pages history backwards by (created_at, ordinal, id), each page oldest first", async () => {
		const user = await dbUser();
		const chat = await chatOf(user.id);
		const rows = [
			message(chat.id, { id: "m1", created_at: 10, ordinal: 0 }),
			message(chat.id, { id: "m2", created_at: 10, ordinal: 1, role: "assistant" }),
			message(chat.id, { id: "m3", created_at: 20, ordinal: 0 }),
			message(chat.id, { id: "m4b", created_at: 20, ordinal: 1, role: "assistant" }),
			message(chat.id, { id: "m4a", created_at: 20, ordinal: 1, role: "tool" }),
		].map((r) => ({ ...r, id: `${r.id}_${chat.id}` }));
		await putMessages(env.DB, [...rows].reverse());
		const ids = (page: ChatMessageRow[]) => page.map((r) => r.id.split("_")[0]);

		const first = await historyPage(env.DB, chat.id, 2);
		expect(ids(first)).toEqual(["m4a", "m4b"]);
		const oldest = first[0]!;
		const second = await historyPage(env.DB, chat.id, 2, {
			createdAt: oldest.created_at,
			ordinal: oldest.ordinal,
			id: oldest.id,
		});
		expect(ids(second)).toEqual(["m2", "m3"]);
		const third = await historyPage(env.DB, chat.id, 2, { createdAt: 10, ordinal: 1, id: second[0]!.id });
		expect(ids(third)).toEqual(["m1"]);
	});

	it("gives a turn the history before it: not its own rows, not later turns, the last `limit` rows", async () => {
		const user = await dbUser();
		const chat = await chatOf(user.id);
		await putMessages(env.DB, [
			message(chat.id, { id: `a_${chat.id}`, turn_id: "t1", created_at: 10, ordinal: 0 }),
			message(chat.id, { id: `b_${chat.id}`, turn_id: "t1", created_at: 10, ordinal: 1, role: "assistant" }),
			message(chat.id, { id: `c_${chat.id}`, turn_id: "t2", created_at: 20, ordinal: 0 }),
			message(chat.id, { id: `d_${chat.id}`, turn_id: "t3", created_at: 30, ordinal: 0 }),
			message(chat.id, { id: `e_${chat.id}`, turn_id: null, created_at: 5, ordinal: 0 }),
		]);
		const turn2 = { id: "t2", created_at: 20 };
		const ids = (rows: ChatMessageRow[]) => rows.map((r) => r.id.split("_")[0]);
		expect(ids(await recentMessages(env.DB, chat.id, turn2, 10))).toEqual(["e", "a", "b"]);
		expect(ids(await recentMessages(env.DB, chat.id, turn2, 2))).toEqual(["a", "b"]);
		expect(ids(await recentMessages(env.DB, chat.id, { id: "t3", created_at: 30 }, 10))).toEqual(["e", "a", "b", "c"]);
	});
});
