import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { threadChatId } from "../../src/chats/service.ts";
import type { ChatMessage, SparkyFile, Task } from "../../src/protocol/index.ts";
import { api, json, newUser } from "../support/api.ts";
import { pngBytes, storedFile } from "../support/attachments.ts";
import { connect } from "../support/sockets.ts";
import { upload } from "./helpers.ts";

/**
 * Attaching files (issue #25): every way a message or task is made takes `attachments`, checks
 * they are the sender's own uploaded files, writes them with the task and shows them in its
 * views. Real uploads (POST /api/files), real D1 and R2.
 */

async function uploaded(token: string, name: string, body: Uint8Array | string): Promise<SparkyFile> {
	const res = await upload(token, body, { name });
	expect(res.status).toBe(201);
	return (await json<{ file: SparkyFile }>(res)).file;
}

const attachmentRows = (taskId: string) =>
	env.DB.prepare("SELECT file_id, ordinal FROM task_attachments WHERE task_id = ? ORDER BY ordinal")
		.bind(taskId)
		.all<{ file_id: string; ordinal: number }>()
		.then((r) => r.results);

const taskCount = (userId: string) =>
	env.DB.prepare("SELECT count(*) AS n FROM tasks WHERE user_id = ?").bind(userId).first<number>("n");

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await read();
		if (done(value) || Date.now() > deadline) return value;
		await new Promise((resolve) => setTimeout(resolve, 50));
	}
}

describe("POST /api/tasks with attachments", () => {
	it("writes them with the task, in order, marks them attached, and shows them in the task's view", async () => {
		const user = await newUser();
		const a = await uploaded(user.token, "a.txt", "first file");
		const b = await uploaded(user.token, "b.md", "# second file");
		expect(a.attached).toBe(false);
		const res = await api("/api/tasks", {
			token: user.token,
			body: { instruction: "Summarise the attached files", attachments: [b.id, a.id] },
		});
		expect(res.status).toBe(201);
		const { task } = await json<{ task: Task }>(res);
		expect(await attachmentRows(task.id)).toEqual([
			{ file_id: b.id, ordinal: 0 },
			{ file_id: a.id, ordinal: 1 },
		]);
		expect(task.attachments?.map((f) => [f.id, f.attached])).toEqual([
			[b.id, true],
			[a.id, true],
		]);
		const file = await json<{ file: SparkyFile }>(api(`/api/files/${a.id}`, { token: user.token }));
		expect(file.file.attached).toBe(true);
		const view = await json<{ task: Task }>(api(`/api/tasks/${task.id}`, { token: user.token }));
		expect(view.task.attachments?.map((f) => f.name)).toEqual(["b.md", "a.txt"]);
		// Ended, the answer speaks of both (the demo model describes each file).
		const ended = await eventually(
			() => json<{ task: Task }>(api(`/api/tasks/${task.id}`, { token: user.token })),
			(v) => v.task.status === "succeeded",
		);
		expect(ended.task.result).toContain("**b.md** has");
		expect(ended.task.result).toContain("**a.txt** has");
	});

	it("takes 10 files; 11 are refused before anything is made", async () => {
		const user = await newUser();
		const files = await Promise.all(
			Array.from({ length: 11 }, (_, i) =>
				storedFile(user.id, { name: `f${i}.txt`, type: "text/plain", bytes: `file ${i}` }),
			),
		);
		const ids = files.map((f) => f.id);
		const eleven = await api("/api/tasks", { token: user.token, body: { instruction: "x", attachments: ids } });
		expect(eleven.status).toBe(400);
		expect(JSON.stringify(await eleven.json())).toContain("at most 10 attachments");
		expect(await taskCount(user.id)).toBe(0);
		const ten = await api("/api/tasks", {
			token: user.token,
			body: { instruction: "Describe them", attachments: ids.slice(0, 10) },
		});
		expect(ten.status).toBe(201);
		const { task } = await json<{ task: Task }>(ten);
		expect((await attachmentRows(task.id)).map((r) => r.file_id)).toEqual(ids.slice(0, 10));
	});

	it("refuses another user's file (404, as if there were none), an unknown one, an upload in progress (400), a repeat", async () => {
		const alice = await newUser();
		const bob = await newUser();
		const bobs = await uploaded(bob.token, "bob.txt", "bob's secret");
		const send = (attachments: string[]) =>
			api("/api/tasks", { token: alice.token, body: { instruction: "read it", attachments } });

		const others = await send([bobs.id]);
		expect(others.status).toBe(404);
		expect(((await others.json()) as { error: { message: string } }).error.message).toBe(`file ${bobs.id} not found`);
		expect((await send(["file_doesNotExist1"])).status).toBe(404);

		const partial = await storedFile(alice.id, {
			name: "big.bin",
			type: "application/octet-stream",
			bytes: "x",
			status: "uploading",
		});
		const uploading = await send([partial.id]);
		expect(uploading.status).toBe(400);
		expect(JSON.stringify(await uploading.json())).toContain("still uploading");

		const mine = await uploaded(alice.token, "mine.txt", "mine");
		expect((await send([mine.id, mine.id])).status).toBe(400);
		expect(await taskCount(alice.id)).toBe(0);
		// Bob's file is still unattached (nothing of Alice's touched it).
		expect((await json<{ file: SparkyFile }>(api(`/api/files/${bobs.id}`, { token: bob.token }))).file.attached).toBe(
			false,
		);
	});

	it("the same instruction with other files is another task, not a duplicate", async () => {
		const user = await newUser();
		const a = await storedFile(user.id, { name: "a.txt", type: "text/plain", bytes: "a" });
		const b = await storedFile(user.id, { name: "b.txt", type: "text/plain", bytes: "b" });
		const post = (attachments: string[]) =>
			api("/api/tasks", { token: user.token, body: { instruction: "Summarise the attached file", attachments } });
		expect((await post([a.id])).status).toBe(201);
		expect((await post([b.id])).status).toBe(201);
		// The same files again, while the first may still be running: a duplicate, or (already done) a new task.
		expect([201, 409]).toContain((await post([a.id])).status);
	});
});

describe("chat messages with attachments", () => {
	it("POST /api/chats/:id/messages: the history's user row carries the files", async () => {
		const user = await newUser();
		const png = await uploaded(user.token, "lamp.png", await pngBytes(32, 16));
		const { chat } = await json<{ chat: { id: string } }>(api("/api/chats", { token: user.token, body: {} }));
		const sent = await api(`/api/chats/${chat.id}/messages`, {
			token: user.token,
			body: { text: "What is this?", attachments: [png.id] },
		});
		expect(sent.status).toBe(202);
		const { turn_id } = await json<{ turn_id: string }>(sent);
		const history = await eventually(
			() => json<{ messages: ChatMessage[] }>(api(`/api/chats/${chat.id}/messages`, { token: user.token })),
			(h) => h.messages.some((m) => m.role === "assistant"),
		);
		const userRow = history.messages.find((m) => m.role === "user" && m.turn_id === turn_id);
		expect(userRow?.attachments).toEqual([
			expect.objectContaining({ id: png.id, name: "lamp.png", type: "image/png" }),
		]);
		const answer = history.messages.find((m) => m.role === "assistant");
		expect(answer?.content).toContain("32×16 pixels");
		expect(history.messages.filter((m) => m.role === "assistant" && m.attachments)).toEqual([]);
	});

	it("the chat.send frame takes attachments; another user's file is an error frame", async () => {
		const alice = await newUser();
		const bob = await newUser();
		const note = await uploaded(alice.token, "note.txt", "The keeper's note: all quiet.");
		const bobs = await uploaded(bob.token, "b.txt", "bob");
		const { chat } = await json<{ chat: { id: string } }>(api("/api/chats", { token: alice.token, body: {} }));
		const tab = await connect({ token: alice.token });
		await tab.untilControl("session");
		tab.send({
			type: "chat.send",
			id: "s1",
			chat_id: chat.id,
			text: "Summarise the attached file",
			attachments: [note.id],
		});
		tab.send({ type: "chat.send", id: "s2", chat_id: chat.id, text: "and this", attachments: [bobs.id] });
		await tab.untilControl("ack");
		await tab.untilControl("error");
		const ack = tab.control("ack");
		expect(ack).toMatchObject({ ref: "s1", frame: "chat.send" });
		expect(tab.control("error")).toMatchObject({ ref: "s2", code: "not_found" });
		const turnId = String(ack?.result.turn_id);
		expect((await attachmentRows(turnId)).map((r) => r.file_id)).toEqual([note.id]);
	});
});

describe("add_task on /mcp with attachments", () => {
	async function mcp(token: string, name: string, args: Record<string, unknown>) {
		const res = await api("/mcp", {
			token,
			headers: { Accept: "application/json, text/event-stream" },
			body: { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name, arguments: args } },
		});
		expect(res.status).toBe(200);
		return (await res.json()) as {
			result: { structuredContent?: { task: Task }; isError?: boolean; content: { text: string }[] };
		};
	}

	it("queues the task with the caller's files; another user's file is an error result", async () => {
		const alice = await newUser();
		const bob = await newUser();
		const mine = await uploaded(alice.token, "plan.md", "# Plan\nPaint the tower.");
		const theirs = await uploaded(bob.token, "x.md", "x");
		const ok = await mcp(alice.token, "add_task", {
			instruction: "Summarise the attached file",
			attachments: [mine.id],
		});
		const taskId = ok.result.structuredContent?.task.id as string;
		expect((await attachmentRows(taskId)).map((r) => r.file_id)).toEqual([mine.id]);
		const refused = await mcp(alice.token, "add_task", { instruction: "Summarise it", attachments: [theirs.id] });
		expect(refused.result.isError).toBe(true);
		expect(refused.result.content[0]?.text).toContain(`file ${theirs.id} not found`);
	});
});

describe("AG-UI user messages with image and document parts", () => {
	async function agUi(token: string, body: Record<string, unknown>) {
		const res = await api("/api/ag-ui", { token, body });
		return { status: res.status, text: await res.text() };
	}
	const base64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));

	it("inline image data becomes an upload of the user's, attached to the turn, whose answer names its size", async () => {
		const user = await newUser();
		const png = await pngBytes(20, 10);
		const run = await agUi(user.token, {
			threadId: "pics",
			runId: "run-1",
			state: {},
			tools: [],
			context: [],
			forwardedProps: {},
			messages: [
				{
					id: "m1",
					role: "user",
					content: [
						{ type: "text", text: "What is this?" },
						{
							type: "image",
							source: { type: "data", value: base64(png), mimeType: "image/png" },
							metadata: { filename: "dot.png" },
						},
					],
				},
			],
		});
		expect(run.status).toBe(200);
		expect(run.text).toContain("20×10 pixels");
		const files = await json<{ files: SparkyFile[] }>(api("/api/files", { token: user.token }));
		expect(files.files).toEqual([
			expect.objectContaining({ name: "dot.png", type: "image/png", size: png.length, attached: true }),
		]);
		const chatId = await threadChatId(user.id, "pics");
		const history = await json<{ messages: ChatMessage[] }>(
			api(`/api/chats/${chatId}/messages`, { token: user.token }),
		);
		expect(history.messages.find((m) => m.role === "user")?.attachments?.map((f) => f.id)).toEqual([
			files.files[0]?.id,
		]);
	});

	it("a document part may name an uploaded file; URLs, audio and another user's file are refused", async () => {
		const alice = await newUser();
		const bob = await newUser();
		const doc = await uploaded(alice.token, "notes.txt", "The lamp burns whale oil.");
		const bobs = await uploaded(bob.token, "b.txt", "b");
		const message = (part: Record<string, unknown>) => ({
			threadId: "docs",
			runId: crypto.randomUUID(),
			state: {},
			tools: [],
			context: [],
			forwardedProps: {},
			messages: [
				{
					id: crypto.randomUUID(),
					role: "user",
					content: [{ type: "text", text: "Summarise the attached file" }, part],
				},
			],
		});
		const byId = await agUi(
			alice.token,
			message({ type: "document", source: { type: "file", value: doc.id, provider: "sparky" } }),
		);
		expect(byId.status).toBe(200);
		expect(byId.text).toContain("The lamp burns whale oil.");

		const url = await agUi(
			alice.token,
			message({ type: "image", source: { type: "url", value: "https://example.com/x.png" } }),
		);
		expect(url.status).toBe(400);
		expect(url.text).toContain("doesn't fetch attachment URLs");
		const audio = await agUi(
			alice.token,
			message({ type: "audio", source: { type: "data", value: "AAAA", mimeType: "audio/wav" } }),
		);
		expect(audio.status).toBe(400);
		const theirs = await agUi(alice.token, message({ type: "document", source: { type: "file", value: bobs.id } }));
		expect(theirs.status).toBe(404);
	});

	it("a run's body may carry inline files past the API's 1 MiB, up to 8 MiB (413 past it, before anything is stored)", async () => {
		const user = await newUser();
		const text = "The lighthouse log, line after line.\n".repeat(60_000); // 2.2 MB, 2.9 MB in base64
		const body = (value: string) => ({
			threadId: "big",
			runId: crypto.randomUUID(),
			state: {},
			tools: [],
			context: [],
			forwardedProps: {},
			messages: [
				{
					id: crypto.randomUUID(),
					role: "user",
					content: [
						{
							type: "document",
							source: { type: "data", value, mimeType: "text/plain" },
							metadata: { filename: "log.txt" },
						},
					],
				},
			],
		});
		const ok = await agUi(user.token, body(btoa(text)));
		expect(ok.status).toBe(200);
		expect(ok.text).toContain("**log.txt** (text/");
		expect(ok.text).toContain("2,220,000 characters");
		const tooBig = await agUi(user.token, body("A".repeat(9 * 1024 * 1024)));
		expect(tooBig.status).toBe(413);
		expect((await json<{ files: SparkyFile[] }>(api("/api/files", { token: user.token }))).files).toHaveLength(1);
	});
});
