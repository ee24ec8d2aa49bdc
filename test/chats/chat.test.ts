import { env } from "cloudflare:workers";
import { MockLanguageModelV4 } from "ai/test";
import { describe, expect, it } from "vitest";
import { historyToMessages } from "../../src/chats/context.ts";
import type { Chat, ChatMessage, HubEvent } from "../../src/protocol/index.ts";
import { runClaimedTask } from "../../src/runner/run-task.ts";
import { claimWithCheckpoint } from "../../src/storage/task-runs.ts";
import { adminToken, api, json, newUser } from "../support/api.ts";
import { asResolution, stream, textParts } from "../support/models.ts";
import { connect, type SocketRecorder } from "../support/sockets.ts";
import { queuedTask, reload } from "../support/tasks.ts";

const statusOf = (e: HubEvent) =>
	e.type === "CUSTOM" && e.name === "sparky.task.status" ? (e.value as { status: string }).status : undefined;

async function ackOf(tab: SocketRecorder, ref: string): Promise<Record<string, unknown>> {
	await tab.until(() => tab.controls.some((c) => "ref" in c && c.ref === ref), `answer to ${ref}`);
	const answer = tab.controls.find((c) => "ref" in c && c.ref === ref);
	if (answer?.type !== "ack") throw new Error(`expected ack, got ${JSON.stringify(answer)}`);
	return answer.result;
}

async function openChat(tab: SocketRecorder): Promise<Chat> {
	tab.send({ type: "chat.create", id: "c1" });
	return (await ackOf(tab, "c1")).chat as Chat;
}

describe("chat over the hub socket", () => {
	it("runs a turn for a message and streams it to every tab; history keeps it", async () => {
		const user = await newUser();
		const [tab, other] = [await connect({ token: user.token }), await connect({ token: user.token })];
		await Promise.all([tab.untilControl("session"), other.untilControl("session")]);
		const chat = await openChat(tab);
		expect(chat).toMatchObject({ user_id: user.id, title: "New chat" });
		await other.until(() => other.events.some((e) => e.name === "sparky.chat"), "chat created event");

		tab.send({ type: "chat.send", id: "m1", chat_id: chat.id, text: "List files in the workspace" });
		const sent = await ackOf(tab, "m1");
		const turnId = String(sent.turn_id);
		expect(sent.message_id).toBe(`${turnId}:user`);

		for (const t of [tab, other]) {
			await t.until(
				() => t.events.some((e) => e.task_id === turnId && statusOf(e) === "succeeded"),
				"turn done",
				15_000,
			);
		}
		const events = other.events.filter((e) => e.chat_id === chat.id && e.task_id === turnId);
		expect(events[0]).toMatchObject({ type: "TEXT_MESSAGE_START", role: "user", messageId: `${turnId}:user` });
		expect(events.map((e) => e.type)).toContain("TOOL_CALL_RESULT");
		expect(events.every((e) => e.chat_id === chat.id)).toBe(true);

		// The chat was titled from its first message.
		await other.until(
			() => other.events.some((e) => e.name === "sparky.chat" && (e.value as { action: string }).action === "renamed"),
			"renamed",
		);

		tab.send({ type: "chat.history", id: "h1", chat_id: chat.id });
		await tab.until(() => tab.controls.some((c) => c.type === "chat.history"), "history");
		const history = tab.controls.find((c) => c.type === "chat.history") as {
			messages: ChatMessage[];
			turns: unknown[];
			events: HubEvent[];
		};
		expect(history.messages.map((m) => m.role)).toEqual(["user", "tool", "assistant"]);
		expect(history.messages[0]).toMatchObject({ id: `${turnId}:user`, content: "List files in the workspace" });
		const toolCall = events.find((e) => e.type === "TOOL_CALL_START");
		expect(history.messages[1]).toMatchObject({ id: toolCall?.toolCallId, tool_name: "list_files" });
		const assistant = events.find((e) => e.type === "TEXT_MESSAGE_START" && e.role === "assistant");
		expect(history.messages[2]?.id).toBe(assistant?.messageId);
		expect(history.turns).toEqual([]);
		// The finished turn's run line comes back too (a reopened chat shows time and tokens)...
		const types = history.events.map((e) => e.type);
		expect(types).toContain("RUN_STARTED");
		expect(types).toContain("RUN_FINISHED");
		expect(history.events.find((e) => e.type === "RUN_FINISHED")).toEqual(
			events.find((e) => e.type === "RUN_FINISHED"),
		);
		// ...with the starts that order its rows, but no text or results (the rows have those).
		expect(types).not.toContain("TEXT_MESSAGE_CONTENT");
		expect(types).not.toContain("TOOL_CALL_RESULT");
		expect(history.events.filter((e) => e.type === "TOOL_CALL_START").map((e) => e.toolCallId)).toEqual([
			toolCall?.toolCallId,
		]);
		tab.close();
		other.close();
	});

	it("reads history at a rate: past the burst an error frame (rate_limited), and the socket stays", async () => {
		const user = await newUser();
		const tab = await connect({ token: user.token });
		await tab.untilControl("session");
		const chat = await openChat(tab);
		// SPARKY_RATE_HISTORY_BURST: 60, refilled one a minute here (vitest.config.ts).
		for (let i = 0; i < 62; i++) tab.send({ type: "chat.history", id: `h${i}`, chat_id: chat.id, limit: 1 });
		await tab.until(
			() => tab.controls.filter((c) => "ref" in c && String(c.ref).startsWith("h")).length >= 62,
			"62 answers",
		);
		const answers = tab.controls.filter((c) => "ref" in c && String(c.ref).startsWith("h"));
		expect(answers.filter((c) => c.type === "chat.history")).toHaveLength(60);
		expect(answers.filter((c) => c.type === "error").map((c) => (c as { code: string }).code)).toEqual([
			"rate_limited",
			"rate_limited",
		]);
		expect(tab.closeEvent).toBeUndefined();
		tab.close();
	});

	it("answers bad chat frames with error frames and keeps the socket", async () => {
		const [user, stranger] = await Promise.all([newUser(), newUser()]);
		const tab = await connect({ token: user.token });
		const theirs = await connect({ token: stranger.token });
		const chat = await openChat(theirs);
		tab.send({ type: "chat.send", id: "x1", chat_id: chat.id, text: "hi" });
		tab.send({ type: "chat.send", id: "x2", chat_id: "chat_missing", text: "hi" });
		tab.send({ type: "chat.send", id: "x3", chat_id: chat.id, text: "" });
		tab.send({ type: "chat.history", id: "x4", chat_id: chat.id, before: "!!" });
		await tab.until(() => tab.controls.filter((c) => c.type === "error").length >= 4, "four errors");
		const codes = Object.fromEntries(
			tab.controls
				.filter((c) => c.type === "error")
				.map((c) => [(c as { ref: string }).ref, (c as { code: string }).code]),
		);
		expect(codes).toEqual({ x1: "not_found", x2: "not_found", x3: "validation_failed", x4: "validation_failed" });
		expect(tab.closeEvent).toBeUndefined();
		tab.close();
		theirs.close();
	});

	it("cancels the running turn", async () => {
		const user = await newUser();
		const tab = await connect({ token: user.token });
		const chat = await openChat(tab);
		const turn = await queuedTask(user.id, { kind: "chat", chat_id: chat.id, chat_user_id: user.id });
		await claimWithCheckpoint(env.DB, turn.id, "run_x", Date.now(), 60_000);
		tab.send({ type: "chat.cancel", id: "k1", chat_id: chat.id });
		expect(await ackOf(tab, "k1")).toEqual({ cancelled_turn_id: turn.id });
		expect((await reload(turn.id)).cancel_requested_at).not.toBeNull();
		tab.close();
	});
});

describe("chat turns", () => {
	it("run one at a time per chat, in the order they were sent", async () => {
		const user = await newUser();
		const { chat } = await json<{ chat: Chat }>(api("/api/chats", { token: user.token, body: {} }));
		const base = { kind: "chat" as const, chat_id: chat.id, chat_user_id: user.id };
		const first = await queuedTask(user.id, { ...base, created_at: 1000 });
		const second = await queuedTask(user.id, { ...base, created_at: 2000 });
		const otherChat = await json<{ chat: Chat }>(api("/api/chats", { token: user.token, body: {} }));
		const elsewhere = await queuedTask(user.id, { ...base, chat_id: otherChat.chat.id, created_at: 3000 });

		expect(await claimWithCheckpoint(env.DB, second.id, "r2", Date.now(), 60_000)).toBeNull(); // not its turn yet
		expect(await claimWithCheckpoint(env.DB, first.id, "r1", Date.now(), 60_000)).not.toBeNull();
		expect(await claimWithCheckpoint(env.DB, second.id, "r2", Date.now(), 60_000)).toBeNull(); // first is running
		expect(await claimWithCheckpoint(env.DB, elsewhere.id, "r3", Date.now(), 60_000)).not.toBeNull(); // other chats don't wait
		await env.DB.prepare("UPDATE tasks SET status = 'succeeded' WHERE id = ?").bind(first.id).run();
		expect(await claimWithCheckpoint(env.DB, second.id, "r2", Date.now(), 60_000)).not.toBeNull();
	});

	it("a turn sees the chat's history; finishing lets the next pending turn go", async () => {
		const user = await newUser();
		const { chat } = await json<{ chat: Chat }>(api("/api/chats", { token: user.token, body: {} }));
		const prompts: unknown[] = [];
		const model = new MockLanguageModelV4({
			doStream: async (options) => {
				prompts.push(options.prompt);
				return stream(textParts(`answer ${prompts.length}`));
			},
		});
		const send = async (text: string) =>
			json<{ turn_id: string }>(api(`/api/chats/${chat.id}/messages`, { token: user.token, body: { text } }));
		// Stop the real consumer from racing us: claim turns ourselves.
		const t1 = await send("my name is Ada");
		const claimed1 = await claimWithCheckpoint(env.DB, t1.turn_id, "run_1", Date.now(), 60_000);
		if (!claimed1) return expect.fail("could not claim the first turn");
		const t2 = await send("and who am I?");
		await runClaimedTask(env, claimed1.row, "run_1", { model: asResolution(model) }, claimed1.saved);

		// The first turn's end queued the second; wait for the consumer to run it with the demo model…
		for (let i = 0; i < 100 && (await reload(t2.turn_id)).status !== "succeeded"; i++)
			await new Promise((r) => setTimeout(r, 50));
		expect((await reload(t2.turn_id)).status).toBe("succeeded");
		// …and check what the first turn was told, and what the history now says.
		expect(JSON.stringify(prompts[0])).toContain("my name is Ada");
		// The message queued behind the first turn is not part of the first turn's context.
		expect(JSON.stringify(prompts[0])).not.toContain("and who am I?");
		const history = await json<{ messages: ChatMessage[] }>(
			api(`/api/chats/${chat.id}/messages`, { token: user.token }),
		);
		expect(history.messages.map((m) => [m.role, m.content])).toEqual([
			["user", "my name is Ada"],
			["assistant", "answer 1"],
			["user", "and who am I?"],
			["assistant", expect.stringContaining("demo model")],
		]);
	});

	it("folds history into alternating user/assistant messages starting with the user", () => {
		const row = (role: ChatMessage["role"], content: string, tool_name: string | null = null) => ({
			role,
			content,
			tool_name,
			tool_args: tool_name ? "{}" : null,
		});
		expect(
			historyToMessages([
				row("assistant", "orphan"),
				row("user", "hi"),
				row("tool", '{"files":[]}', "list_files"),
				row("assistant", "empty"),
				row("user", "thanks"),
			]),
		).toEqual([
			{ role: "user", content: "hi" },
			{ role: "assistant", content: '[used list_files({}) → {"files":[]}]\n\nempty' },
			{ role: "user", content: "thanks" },
		]);
	});
});

describe("/api/chats", () => {
	it("creates, lists, renames and deletes a user's own chats only", async () => {
		const [user, other] = await Promise.all([newUser(), newUser()]);
		const created = await api("/api/chats", { token: user.token, body: { title: "Plans" } });
		expect(created.status).toBe(201);
		const { chat } = await json<{ chat: Chat }>(created);
		expect((await json<{ chats: Chat[] }>(api("/api/chats", { token: user.token }))).chats.map((c) => c.id)).toEqual([
			chat.id,
		]);
		expect((await json<{ chats: Chat[] }>(api("/api/chats", { token: other.token }))).chats).toEqual([]);
		expect((await api(`/api/chats/${chat.id}`, { token: other.token })).status).toBe(404);
		expect((await api(`/api/chats/${chat.id}/messages`, { token: other.token })).status).toBe(404);

		const renamed = await api(`/api/chats/${chat.id}`, {
			method: "PATCH",
			token: user.token,
			body: { title: "Trips" },
		});
		expect((await json<{ chat: Chat }>(renamed)).chat.title).toBe("Trips");
		expect(
			(await api(`/api/chats/${chat.id}`, { method: "PATCH", token: user.token, body: { title: "" } })).status,
		).toBe(400);
		expect((await api(`/api/chats/${chat.id}`, { method: "DELETE", token: user.token })).status).toBe(204);
		expect((await api(`/api/chats/${chat.id}`, { token: user.token })).status).toBe(404);
	});

	it("pages long histories backwards", async () => {
		const user = await newUser();
		const { chat } = await json<{ chat: Chat }>(api("/api/chats", { token: user.token, body: {} }));
		const insert = env.DB.prepare(
			"INSERT INTO chat_messages (id, chat_id, turn_id, role, content, created_at, ordinal) VALUES (?, ?, NULL, 'user', ?, ?, 0)",
		);
		await env.DB.batch(Array.from({ length: 25 }, (_, i) => insert.bind(`m${i}`, chat.id, `message ${i}`, 1000 + i)));
		const page1 = await json<{ messages: ChatMessage[]; next_before: string }>(
			api(`/api/chats/${chat.id}/messages?limit=10`, { token: user.token }),
		);
		expect(page1.messages.map((m) => m.content)).toEqual(Array.from({ length: 10 }, (_, i) => `message ${15 + i}`));
		const page2 = await json<{ messages: ChatMessage[]; next_before: string }>(
			api(`/api/chats/${chat.id}/messages?limit=10&before=${page1.next_before}`, { token: user.token }),
		);
		expect(page2.messages[0]?.content).toBe("message 5");
		const page3 = await json<{ messages: ChatMessage[]; next_before: string | null }>(
			api(`/api/chats/${chat.id}/messages?limit=10&before=${page2.next_before}`, { token: user.token }),
		);
		expect(page3.messages.map((m) => m.content)).toEqual(Array.from({ length: 5 }, (_, i) => `message ${i}`));
		expect(page3.next_before).toBeNull();
	});

	it("a task posted into one's own chat streams there and joins its history; nobody else may post into it", async () => {
		const owner = await newUser();
		const { chat } = await json<{ chat: Chat }>(api("/api/chats", { token: owner.token, body: {} }));
		const tab = await connect({ token: owner.token });
		await tab.untilControl("session");
		// The owner posts a task into their chat.
		const res = await api("/api/tasks", {
			token: owner.token,
			body: { instruction: "what time is it", chat_id: chat.id },
		});
		expect(res.status).toBe(201);
		const { task } = await json<{ task: { id: string } }>(res);
		await tab.until(
			() => tab.events.some((e) => e.task_id === task.id && statusOf(e) === "succeeded"),
			"task done",
			15_000,
		);
		expect(tab.events.filter((e) => e.task_id === task.id).every((e) => e.chat_id === chat.id)).toBe(true);
		const history = await json<{ messages: ChatMessage[] }>(
			api(`/api/chats/${chat.id}/messages`, { token: owner.token }),
		);
		expect(history.messages.map((m) => m.role)).toEqual(["user", "tool", "assistant"]);
		expect(history.messages[0]?.content).toBe("Task: what time is it");
		// Nobody else posts into it: a plain user, an admin, or the agent user (issue #14: a
		// "Task: …" row in someone's history is context for their later turns).
		const stranger = await newUser();
		for (const token of [stranger.token, adminToken()]) {
			const refused = await api("/api/tasks", { token, body: { instruction: "x", chat_id: chat.id } });
			expect(refused.status).toBe(404);
		}
		tab.close();
	});
});
