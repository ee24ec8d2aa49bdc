import { env } from "cloudflare:workers";
import type { LanguageModelV4CallOptions, LanguageModelV4Prompt } from "@ai-sdk/provider";
import { describe, expect, inject, it } from "vitest";
import { DemoLanguageModel } from "../../src/agent/demo-model.ts";
import { resolveModel } from "../../src/agent/models.ts";
import type { Task } from "../../src/protocol/index.ts";
import { attachStatements } from "../../src/storage/attachments.ts";
import type { TaskRow } from "../../src/storage/tasks.ts";
import { api, json, newUser } from "../support/api.ts";
import { fileRow, pdfBytes, pngBytes, storedFile } from "../support/attachments.ts";
import type { RecordedRequest } from "../support/fake-llm-server.ts";
import { asResolution } from "../support/models.ts";
import { deliver, queuedTask, reload } from "../support/tasks.ts";

/** The demo model, keeping each call's prompt. */
function recordingDemo() {
	const demo = new DemoLanguageModel();
	const prompts: LanguageModelV4Prompt[] = [];
	const doStream = (options: LanguageModelV4CallOptions) => {
		prompts.push(options.prompt);
		return demo.doStream(options);
	};
	return { model: Object.assign(Object.create(demo), { doStream }) as DemoLanguageModel, prompts };
}

/** A queued task carrying `fileIds`, attached by the same statements createTask batches with its insert. */
async function taskWith(userId: string, instruction: string, fileIds: string[]): Promise<TaskRow> {
	const task = await queuedTask(userId, { instruction });
	await env.DB.batch(attachStatements(env.DB, task, fileIds, Date.now()));
	return task;
}

/** The last user message's parts of the first model call. */
function userParts(prompt: LanguageModelV4Prompt | undefined) {
	const user = prompt?.filter((m) => m.role === "user").at(-1);
	return user?.role === "user" ? user.content : [];
}

const textOf = (parts: ReturnType<typeof userParts>) =>
	parts.map((p) => (p.type === "text" ? p.text : `[${p.type} ${p.type === "file" ? p.mediaType : ""}]`)).join("\n");

async function finished(taskId: string, timeoutMs = 15_000): Promise<TaskRow> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const row = await reload(taskId);
		if (["succeeded", "failed", "cancelled"].includes(row.status)) return row;
		if (Date.now() > deadline) throw new Error(`task ${taskId} still ${row.status}`);
		await new Promise((resolve) => setTimeout(resolve, 50));
	}
}

const REPORT = [
	["Quarterly report of the Lighthouse Society", "Visitors rose to 4,812 this quarter."],
	["Page two: the lamp was repaired on 3 March.", "Oil use fell by a third."],
	["Page three: next quarter we paint the tower red."],
];

describe("attachments in a run (the demo model, real R2 and D1)", () => {
	it("a PDF attached to POST /api/tasks: its text is extracted once, kept, and reaches the answer", async () => {
		const user = await newUser();
		const pdf = await storedFile(user.id, {
			name: "report.pdf",
			type: "application/pdf",
			bytes: await pdfBytes(REPORT),
		});
		const res = await api("/api/tasks", {
			token: user.token,
			body: { instruction: "Summarise the attached file", attachments: [pdf.id] },
		});
		expect(res.status).toBe(201);
		const { task } = await json<{ task: Task }>(res);
		expect(task.attachments).toEqual([expect.objectContaining({ id: pdf.id, name: "report.pdf", attached: true })]);

		const done = await finished(task.id);
		expect(done.status).toBe("succeeded");
		expect(done.result).toContain("**report.pdf**");
		expect(done.result).toContain("Quarterly report of the Lighthouse Society");

		// Kept: the page count in meta, the text in R2 beside the file, pages apart.
		const row = await fileRow(pdf.id);
		expect(row.extracted_at).toBeGreaterThan(0);
		expect(JSON.parse(row.meta ?? "{}")).toMatchObject({ pages: 3 });
		const kept = await (await env.FILES.get(`files/${user.id}/${pdf.id}.txt`))?.text();
		expect(kept?.split("\f")).toHaveLength(3);
		expect(kept).toContain("we paint the tower red");

		// The task's view names its file.
		const view = await json<{ task: Task }>(api(`/api/tasks/${task.id}`, { token: user.token }));
		expect(view.task.attachments?.map((f) => f.id)).toEqual([pdf.id]);
	});

	it("a second run reads the kept text, not the PDF (its bytes may be gone)", async () => {
		const user = await newUser();
		const pdf = await storedFile(user.id, {
			name: "report.pdf",
			type: "application/pdf",
			bytes: await pdfBytes(REPORT),
		});
		const first = await taskWith(user.id, "Summarise the attached file", [pdf.id]);
		await deliver(first.id, { model: asResolution(new DemoLanguageModel(), "demo") });
		const extractedAt = (await fileRow(pdf.id)).extracted_at;
		await env.FILES.delete(`files/${user.id}/${pdf.id}`);

		const second = await taskWith(user.id, "Summarise the attached file", [pdf.id]);
		await deliver(second.id, { model: asResolution(new DemoLanguageModel(), "demo") });
		expect((await reload(second.id)).result).toContain("Quarterly report of the Lighthouse Society");
		expect((await fileRow(pdf.id)).extracted_at).toBe(extractedAt);
	});

	it("an image is an image part; its width and height are in its tag and reach the answer", async () => {
		const user = await newUser();
		const png = await storedFile(user.id, { name: "lamp.png", type: "image/png", bytes: await pngBytes(640, 480) });
		const task = await taskWith(user.id, "What is this?", [png.id]);
		const { model, prompts } = recordingDemo();
		await deliver(task.id, { model: asResolution(model, "demo") });
		const parts = userParts(prompts[0]);
		expect(parts[0]).toEqual({ type: "text", text: "What is this?" });
		expect(textOf(parts)).toContain(`<attachment id="${png.id}" name="lamp.png" type="image/png"`);
		expect(textOf(parts)).toContain('width="640" height="480"');
		const image = parts.find((p) => p.type === "file");
		expect(image).toMatchObject({ type: "file", mediaType: "image/png" });

		const done = await reload(task.id);
		expect(done.status).toBe("succeeded");
		expect(done.result).toContain("**lamp.png** (image/png");
		expect(done.result).toContain("640×480 pixels");
		expect(JSON.parse((await fileRow(png.id)).meta ?? "{}")).toEqual({ width: 640, height: 480 });
	});

	it("a text file past the budget is cut visibly, saying how much is left and how to read it", async () => {
		const user = await newUser();
		const lines = Array.from({ length: 3000 }, (_, i) => `Line ${i + 1}: the keeper logs the weather.`);
		const text = lines.join("\n");
		const notes = await storedFile(user.id, { name: "log.txt", type: "text/plain", bytes: text });
		const task = await taskWith(user.id, "Summarise the attached file", [notes.id]);
		const { model, prompts } = recordingDemo();
		await deliver(task.id, { model: asResolution(model, "demo") });

		const given = textOf(userParts(prompts[0]));
		const shown = Number(/shown="(\d+)"/.exec(given)?.[1]);
		expect(shown).toBeGreaterThan(1000);
		expect(shown).toBeLessThan(text.length);
		expect(given).toContain(`chars="${text.length}"`);
		expect(given).toContain(
			`${text.slice(0, shown)}… [cut: ${(text.length - shown).toLocaleString("en-US")} characters; read_attachment reads the rest]`,
		);
		const done = await reload(task.id);
		expect(done.result).toContain("**log.txt** has");
		expect(done.result).toContain(`I read its first ${shown.toLocaleString("en-US")} characters.`);
	});

	it("a provider that reads PDFs (Anthropic, OpenAI) is given the PDF itself, as a file part", async () => {
		const user = await newUser();
		const bytes = await pdfBytes(REPORT);
		const pdf = await storedFile(user.id, { name: "report.pdf", type: "application/pdf", bytes });
		const task = await taskWith(user.id, "Summarise the attached file", [pdf.id]);
		const { model, prompts } = recordingDemo();
		await deliver(task.id, { model: asResolution(model, "anthropic:claude-sonnet-4-5") });
		const parts = userParts(prompts[0]);
		expect(textOf(parts)).toContain(
			`<attachment id="${pdf.id}" name="report.pdf" type="application/pdf" size="${bytes.length}" pages="3"`,
		);
		const file = parts.find((p) => p.type === "file");
		expect(file).toMatchObject({ type: "file", mediaType: "application/pdf", filename: "report.pdf" });
		const data = file?.type === "file" && file.data.type === "data" ? file.data.data : undefined;
		expect(data instanceof Uint8Array ? [...data] : data).toEqual([...bytes]);
		// Its text is not in the message as well.
		expect(textOf(parts)).not.toContain("Lighthouse Society");
	});

	it("ten attachments (images and text) all reach one message, within the demo model's small budget", async () => {
		const user = await newUser();
		const files = [];
		for (let i = 0; i < 5; i++) {
			files.push(
				await storedFile(user.id, { name: `pic${i}.png`, type: "image/png", bytes: await pngBytes(10 + i, 10) }),
			);
			files.push(
				await storedFile(user.id, {
					name: `note${i}.md`,
					type: "text/markdown",
					bytes: `# Note ${i}\n${"words ".repeat(2000)}`,
				}),
			);
		}
		const task = await taskWith(
			user.id,
			"What did I send?",
			files.map((f) => f.id),
		);
		const { model, prompts } = recordingDemo();
		await deliver(task.id, { model: asResolution(model, "demo") });
		const done = await reload(task.id);
		expect(done.status).toBe("succeeded");
		const given = textOf(userParts(prompts[0]));
		for (const f of files) expect(given).toContain(`<attachment id="${f.id}"`);
		expect(done.result).toContain("You attached 10 files:");
		expect(done.result).toContain("**pic4.png** (image/png");
		expect(done.result).toContain("It begins: “# Note 4");
	});

	it("a later turn of the chat is told which files earlier messages carried (their tags, not their content)", async () => {
		const user = await newUser();
		const pdf = await storedFile(user.id, {
			name: "report.pdf",
			type: "application/pdf",
			bytes: await pdfBytes(REPORT),
		});
		const { chat } = await json<{ chat: { id: string } }>(api("/api/chats", { token: user.token, body: {} }));
		const sent = await json<{ turn_id: string }>(
			api(`/api/chats/${chat.id}/messages`, { token: user.token, body: { text: "Here it is", attachments: [pdf.id] } }),
		);
		expect((await finished(sent.turn_id)).status).toBe("succeeded");
		const next = await queuedTask(user.id, {
			kind: "chat",
			chat_id: chat.id,
			chat_user_id: user.id,
			instruction: "What does page 3 say?",
		});
		const { model, prompts } = recordingDemo();
		await deliver(next.id, { model: asResolution(model, "demo") });
		const history = JSON.stringify(prompts[0]?.filter((m) => m.role === "user"));
		expect(history).toContain(`Here it is\\n<attachment id=\\"${pdf.id}\\" name=\\"report.pdf\\"`);
		// Only the current message carries file content; the earlier one is named.
		expect(history).not.toContain("Lighthouse Society");
	});

	it("read_attachment reads a page of the PDF (the demo model calls it when asked)", async () => {
		const user = await newUser();
		const pdf = await storedFile(user.id, {
			name: "report.pdf",
			type: "application/pdf",
			bytes: await pdfBytes(REPORT),
		});
		const task = await taskWith(user.id, "Read page 2 of the attached file", [pdf.id]);
		await deliver(task.id, { model: asResolution(new DemoLanguageModel(), "demo") });
		const done = await reload(task.id);
		expect(done.status).toBe("succeeded");
		expect(done.result).toContain("Page 2 of 3 of **report.pdf**");
		expect(done.result).toContain("the lamp was repaired on 3 March");
		expect(done.result).not.toContain("Lighthouse Society");
	});
});

describe("attachments through the real provider adapters (the fake LLM server)", () => {
	const fakeUrl = inject("fakeLlmUrl");
	const base64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
	let n = 0;

	/** Runs a task carrying a PDF and a PNG with `provider`; the first request the fake server got. */
	async function firstRequest(provider: "anthropic" | "openai-compatible") {
		const tag = `attach-${provider}-${Date.now().toString(36)}-${n++}`;
		const base = `${fakeUrl}/t/${tag}`;
		const runEnv =
			provider === "anthropic"
				? { ...env, ANTHROPIC_API_KEY: "k", ANTHROPIC_BASE_URL: `${base}/anthropic/v1` }
				: { ...env, SPARKY_OPENAI_COMPAT_BASE_URL: `${base}/openai/v1`, SPARKY_OPENAI_COMPAT_API_KEY: "k" };
		const resolution = resolveModel(runEnv, `${provider}:tool-then-answer`);
		if (!resolution.ok) throw new Error(resolution.error);
		const user = await newUser();
		const pdfData = await pdfBytes(REPORT);
		const pngData = await pngBytes(4, 3);
		const pdf = await storedFile(user.id, { name: "report.pdf", type: "application/pdf", bytes: pdfData });
		const png = await storedFile(user.id, { name: "p.png", type: "image/png", bytes: pngData });
		const task = await taskWith(user.id, "Look at these", [pdf.id, png.id]);
		await deliver(task.id, { model: resolution });
		const res = await fetch(`${fakeUrl}/__requests?tag=${encodeURIComponent(tag)}`);
		const { requests } = (await res.json()) as { requests: RecordedRequest[] };
		return { request: requests[0], pdf: pdfData, png: pngData };
	}

	it("Anthropic gets the PDF as a document block and the image as an image block", async () => {
		const { request, pdf, png } = await firstRequest("anthropic");
		const body = request?.body as { messages: { role: string; content: Record<string, unknown>[] }[] };
		const content = body.messages[0]?.content ?? [];
		expect(content).toContainEqual(
			expect.objectContaining({
				type: "document",
				source: { type: "base64", media_type: "application/pdf", data: base64(pdf) },
			}),
		);
		expect(content).toContainEqual(
			expect.objectContaining({
				type: "image",
				source: { type: "base64", media_type: "image/png", data: base64(png) },
			}),
		);
		expect(JSON.stringify(content)).toContain('<attachment id=\\"file_');
	});

	it("an OpenAI-compatible server gets the PDF's text and the image as an image_url", async () => {
		const { request, png } = await firstRequest("openai-compatible");
		const body = request?.body as { messages: { role: string; content: unknown }[] };
		const user = body.messages.find((m) => m.role === "user");
		const text = JSON.stringify(user?.content);
		expect(text).toContain("Quarterly report of the Lighthouse Society");
		expect(text).toContain(`data:image/png;base64,${base64(png)}`);
		expect(text).not.toContain("application/pdf;base64");
	});
});
