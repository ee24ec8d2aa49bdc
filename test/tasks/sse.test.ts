import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Task } from "../../src/protocol/index.ts";
import { api, json, newUser } from "../support/api.ts";
import { reload } from "../support/tasks.ts";

interface SseEvent {
	id?: string;
	event?: string;
	data?: string;
}

/** Reads a whole SSE response (it ends when the task does) into events. */
async function readSse(res: Response): Promise<SseEvent[]> {
	const text = await res.text();
	return text
		.split("\n\n")
		.filter((block) => block.trim() && !block.startsWith(":"))
		.map((block) => {
			const event: SseEvent = {};
			for (const line of block.split("\n")) {
				const [field, ...rest] = line.split(":");
				const value = rest.join(":").trimStart();
				if (field === "id" || field === "event" || field === "data") event[field] = value;
			}
			return event;
		});
}

describe("GET /api/tasks/:id/events as Server-Sent Events", () => {
	it("follows a task live from before it runs until it ends", async () => {
		const user = await newUser();
		const { task } = await json<{ task: Task }>(
			api("/api/tasks", { token: user.token, body: { instruction: "list files" } }),
		);
		const res = await api(`/api/tasks/${task.id}/events`, {
			token: user.token,
			headers: { Accept: "text/event-stream" },
		});
		expect(res.headers.get("Content-Type")).toContain("text/event-stream");
		const events = await readSse(res);
		expect(events[0]?.event).toBe("CUSTOM");
		expect(events.at(-1)?.event).toBe("CUSTOM");
		expect(JSON.parse(events.at(-1)?.data ?? "{}").value.status).toBe("succeeded");
		expect(events.map((e) => e.event)).toContain("TOOL_CALL_RESULT");
		// ids are the hub's seqs, strictly increasing
		const ids = events.map((e) => Number(e.id));
		expect(ids).toEqual([...ids].sort((a, b) => a - b));
		expect(new Set(ids).size).toBe(ids.length);
		expect((await reload(task.id)).status).toBe("succeeded");
	});

	it("resumes after Last-Event-ID without repeating anything", async () => {
		const user = await newUser();
		const { task } = await json<{ task: Task }>(
			api("/api/tasks", { token: user.token, body: { instruction: "what time is it" } }),
		);
		const all = await readSse(
			await api(`/api/tasks/${task.id}/events`, { token: user.token, headers: { Accept: "text/event-stream" } }),
		);
		const cut = all[3]?.id as string;
		const rest = await readSse(
			await api(`/api/tasks/${task.id}/events`, {
				token: user.token,
				headers: { Accept: "text/event-stream", "Last-Event-ID": cut },
			}),
		);
		expect(rest.map((e) => e.id)).toEqual(all.slice(4).map((e) => e.id));
	});

	it("ends with an `end` event when the task finished but its events aged out", async () => {
		const user = await newUser();
		const { queuedTask } = await import("../support/tasks.ts");
		const task = await queuedTask(user.id);
		await env.DB.prepare("UPDATE tasks SET status = 'succeeded', result = 'ok' WHERE id = ?").bind(task.id).run();
		const events = await readSse(
			await api(`/api/tasks/${task.id}/events`, { token: user.token, headers: { Accept: "text/event-stream" } }),
		);
		expect(events).toHaveLength(1);
		expect(events[0]?.event).toBe("end");
		expect(JSON.parse(events[0]?.data ?? "{}").task.status).toBe("succeeded");
	});

	it("refuses a malformed Last-Event-ID", async () => {
		const user = await newUser();
		const { queuedTask } = await import("../support/tasks.ts");
		const task = await queuedTask(user.id);
		const res = await api(`/api/tasks/${task.id}/events`, {
			token: user.token,
			headers: { Accept: "text/event-stream", "Last-Event-ID": "abc" },
		});
		expect(res.status).toBe(400);
	});
});
