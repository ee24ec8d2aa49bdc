import { randomUUID } from "node:crypto";
import { crc32, deflateSync } from "node:zlib";
import { type BaseEvent, EventType, type Message } from "@ag-ui/client";
import { describe, expect, it } from "vitest";
import { agentFor, api, newUser, server } from "./support/sparky.ts";
import { warnings } from "./support/warnings.ts";

/**
 * Images and documents in AG-UI user messages (issue #25), sent by the real `@ag-ui/client`:
 * inline bytes become an upload of the user's attached to the turn; a part may name an
 * uploaded file instead. The demo model's answer says what it was given.
 */

/** A real PNG (greyscale) of `width` × `height`. */
function png(width: number, height: number): Buffer {
	const chunk = (type: string, data: Buffer) => {
		const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
		const out = Buffer.alloc(12 + data.length);
		out.writeUInt32BE(data.length, 0);
		body.copy(out, 4);
		out.writeUInt32BE(crc32(body), 8 + data.length);
		return out;
	};
	const ihdr = Buffer.alloc(13);
	ihdr.writeUInt32BE(width, 0);
	ihdr.writeUInt32BE(height, 4);
	ihdr.set([8, 0, 0, 0, 0], 8);
	const rows = Buffer.alloc((width + 1) * height, 0x80);
	for (let y = 0; y < height; y++) rows[y * (width + 1)] = 0;
	return Buffer.concat([
		Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
		chunk("IHDR", ihdr),
		chunk("IDAT", deflateSync(rows)),
		chunk("IEND", Buffer.alloc(0)),
	]);
}

const lastAssistantText = (messages: Message[]) =>
	[...messages].reverse().find((m) => m.role === "assistant" && typeof m.content === "string" && m.content)
		?.content as string;

type FileView = { id: string; name: string; type: string; size: number; attached: boolean };

describe("AG-UI image and document input parts, from the real @ag-ui/client", () => {
	it("an inline image part: stored as the user's upload, attached to the turn, its size in the answer", async () => {
		const user = await newUser();
		const agent = agentFor(user.token);
		const bytes = png(48, 32);
		agent.addMessage({
			id: randomUUID(),
			role: "user",
			content: [
				{ type: "text", text: "What is in this picture?" },
				{
					type: "image",
					source: { type: "data", value: bytes.toString("base64"), mimeType: "image/png" },
					metadata: { filename: "screenshot.png" },
				},
			],
		});
		const events: BaseEvent[] = [];
		await agent.runAgent({}, { onEvent: ({ event }) => void events.push(event) });
		expect(events.at(-1)?.type).toBe(EventType.RUN_FINISHED);
		expect(lastAssistantText(agent.messages)).toContain(
			`**screenshot.png** (image/png, ${bytes.length} bytes, 48×32 pixels)`,
		);
		expect(warnings).toEqual([]);

		const { files } = await api<{ files: FileView[] }>(user.token, "/api/files");
		expect(files).toEqual([
			expect.objectContaining({ name: "screenshot.png", type: "image/png", size: bytes.length, attached: true }),
		]);
		// The thread's history names the file on the user's message.
		const history = await api<{ messages: { role: string; attachments?: FileView[] }[] }>(
			user.token,
			`/api/chats/${agent.threadId}/messages`,
		);
		expect(history.messages.find((m) => m.role === "user")?.attachments?.map((f) => f.id)).toEqual([files[0]?.id]);
	});

	it("a document part naming an uploaded file (source type file): its text is read", async () => {
		const user = await newUser();
		const uploaded = await fetch(`${server().url}/api/files?name=minutes.md`, {
			method: "POST",
			headers: { Authorization: `Bearer ${user.token}`, "Content-Type": "text/markdown" },
			body: "# Minutes\nThe committee agreed to paint the boathouse green.",
		});
		expect(uploaded.status).toBe(201);
		const { file } = (await uploaded.json()) as { file: FileView };
		const agent = agentFor(user.token);
		agent.addMessage({
			id: randomUUID(),
			role: "user",
			content: [
				{ type: "text", text: "Summarise the attached file" },
				{ type: "document", source: { type: "file", value: file.id, provider: "sparky" } },
			],
		});
		await agent.runAgent({});
		const answer = lastAssistantText(agent.messages);
		expect(answer).toContain("**minutes.md** has 2 lines");
		expect(answer).toContain('Its title is "Minutes"');
		expect(answer).toContain("paint the boathouse green");
		expect(warnings).toEqual([]);
	});
});
