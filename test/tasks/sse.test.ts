import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Task } from "../../src/protocol/index.ts";
import { adminToken, api, json, newUser } from "../support/api.ts";
import { reload } from "../support/tasks.ts";

interface SseEvent {
	id?: string;
	event?: string;
	data?: string;
}

/** Reads a whole SSE response (it ends when the task does) into events. */
async function readSse(res: Response): Promise<SseEvent[]> {
	return parseSse(await res.text());
}

function parseSse(text: string): SseEvent[] {
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
		const text = await res.text();
		const events = parseSse(text);
		// Valid AG-UI: the run first (status changes travel inside it), the run's end last,
		// then a comment that says how the task ended.
		expect(events[0]?.event).toBe("RUN_STARTED");
		expect(events.at(-1)?.event).toBe("RUN_FINISHED");
		expect(text.trimEnd().split("\n").at(-1)).toMatch(/^: end \{"status":"succeeded"/);
		expect(events.map((e) => e.event)).toContain("TOOL_CALL_RESULT");
		expect(events.map((e) => e.event)).toContain("CUSTOM");
		// ids are the hub's seqs, strictly increasing (events held between runs carry none)
		const ids = events.filter((e) => e.id !== undefined).map((e) => Number(e.id));
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
		const withIds = all.filter((e) => e.id !== undefined);
		const cut = withIds[3]?.id as string;
		const rest = await readSse(
			await api(`/api/tasks/${task.id}/events`, {
				token: user.token,
				headers: { Accept: "text/event-stream", "Last-Event-ID": cut },
			}),
		);
		expect(rest.map((e) => e.id)).toEqual(withIds.slice(4).map((e) => e.id));
	});

	it("ends with an `end` comment when the task finished but its events aged out", async () => {
		const user = await newUser();
		const { queuedTask } = await import("../support/tasks.ts");
		const task = await queuedTask(user.id);
		await env.DB.prepare("UPDATE tasks SET status = 'succeeded', result = 'ok' WHERE id = ?").bind(task.id).run();
		const text = await (
			await api(`/api/tasks/${task.id}/events`, { token: user.token, headers: { Accept: "text/event-stream" } })
		).text();
		expect(parseSse(text)).toHaveLength(0);
		const end = text.split("\n").find((l) => l.startsWith(": end "));
		expect(JSON.parse(end?.slice(6) ?? "{}").task.status).toBe("succeeded");
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

describe("a stream's token is asked again while it lasts (issue #22.4)", () => {
	const revoke = (tokenId: string) => api(`/api/tokens/${tokenId}`, { method: "DELETE", token: adminToken() });
	const endOf = (text: string) =>
		JSON.parse(
			text
				.split("\n")
				.findLast((l) => l.startsWith(": end "))
				?.slice(6) ?? "{}",
		);

	it("ends an SSE stream within seconds of its token's revocation, saying why", async () => {
		const user = await newUser();
		const { queuedTask } = await import("../support/tasks.ts");
		const task = await queuedTask(user.id);
		const res = await api(`/api/tasks/${task.id}/events`, {
			token: user.token,
			headers: { Accept: "text/event-stream" },
		});
		expect(res.status).toBe(200);
		const revokedAt = Date.now();
		expect((await revoke(user.tokenId)).status).toBe(200);
		const text = await res.text();
		const endedAfterMs = Date.now() - revokedAt;
		expect(parseSse(text)).toHaveLength(0);
		expect(endOf(text)).toEqual({ error: { code: "unauthorized", message: "the token was revoked or has expired" } });
		// A quiet stream looks at its token at least every STREAM_WAIT_MS (5 s).
		expect(endedAfterMs).toBeLessThan(8_000);
	});

	it("ends the stream of a token that expires while it streams", async () => {
		const user = await newUser("user", { expires_in: 3 });
		const { queuedTask } = await import("../support/tasks.ts");
		const task = await queuedTask(user.id);
		const res = await api(`/api/tasks/${task.id}/events`, {
			token: user.token,
			headers: { Accept: "text/event-stream" },
		});
		expect(res.status).toBe(200);
		expect(endOf(await res.text())).toEqual({ error: { code: "unauthorized", message: "the token has expired" } });
	});

	it("answers a long poll whose token was revoked while it waited with 401, not events", async () => {
		const user = await newUser();
		const { queuedTask } = await import("../support/tasks.ts");
		const task = await queuedTask(user.id);
		const poll = api(`/api/tasks/${task.id}/events?wait=3`, { token: user.token });
		await new Promise((r) => setTimeout(r, 300));
		expect((await revoke(user.tokenId)).status).toBe(200);
		const res = await poll;
		expect(res.status).toBe(401);
		expect((await json<{ error: { code: string } }>(res)).error.code).toBe("unauthorized");
	});

	it("counts open streams on the user's hub and gives each back when it ends", async () => {
		const user = await newUser();
		const { queuedTask } = await import("../support/tasks.ts");
		const task = await queuedTask(user.id);
		const { hubFor } = await import("../../src/hub/stub.ts");
		const hub = hubFor(env, user.id);
		const poll = api(`/api/tasks/${task.id}/events?wait=2`, { token: user.token });
		await new Promise((r) => setTimeout(r, 300));
		expect((await hub.diagnostics()).streams).toBe(1);
		expect((await poll).status).toBe(200);
		// The lease goes back after the answer (waitUntil): look until it has.
		for (let i = 0; i < 50 && (await hub.diagnostics()).streams > 0; i++) await new Promise((r) => setTimeout(r, 20));
		expect((await hub.diagnostics()).streams).toBe(0);
	});
});
