import { createServer, type Server as HttpServer } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Api, eventually } from "./support/api.ts";
import { report } from "./support/report.ts";
import { Deployment } from "./support/server.ts";

/**
 * Issue #22.4: a stream outlives the request that authenticated it. Revoking its token must end
 * SSE follows, AG-UI runs and long polls within seconds, and one user's open streams are capped.
 * A real `wrangler dev`; the cap is set low so the suite can reach it.
 */
let deployment: Deployment;
let admin: Api;
/** A page that takes SLOW_MS to answer: a tool call that is still running when the token is revoked. */
let slow: HttpServer;
let slowPort = 0;
const SLOW_MS = 8_000;

beforeAll(async () => {
	slow = createServer((_req, res) => {
		setTimeout(() => res.end("the slow page, at last"), SLOW_MS);
	});
	slowPort = await new Promise<number>((resolve) =>
		slow.listen(0, "127.0.0.1", () => resolve((slow.address() as { port: number }).port)),
	);
	deployment = new Deployment();
	await deployment.start({ SPARKY_MAX_STREAMS: "3", SPARKY_HTTP_FETCH_ALLOW: `127.0.0.1:${slowPort}` });
	admin = new Api(deployment.url, deployment.adminToken);
});
afterAll(async () => {
	slow?.close();
	await deployment?.dispose();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An open streaming response read as it arrives: its text so far, and when it ended. */
class OpenStream {
	text = "";
	endedAt: number | undefined;
	readonly status: number;
	readonly #controller: AbortController;

	private constructor(res: Response, controller: AbortController) {
		this.status = res.status;
		this.#controller = controller;
		void this.#read(res);
	}

	static async open(url: string, init: RequestInit): Promise<OpenStream> {
		const controller = new AbortController();
		const res = await fetch(url, { ...init, signal: controller.signal });
		return new OpenStream(res, controller);
	}

	async #read(res: Response): Promise<void> {
		const decoder = new TextDecoder();
		try {
			for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
				this.text += decoder.decode(chunk, { stream: true });
			}
		} catch {
			// aborted by the test
		}
		this.endedAt = Date.now();
	}

	/** SSE data payloads (JSON) received so far. */
	data(): { type?: string; code?: string; name?: string; toolCallName?: string }[] {
		return [...this.text.matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1] ?? "{}"));
	}

	close(): void {
		this.#controller.abort();
	}
}

async function userWithTwoTokens(id: string) {
	const first = await admin.user(id);
	const second = await admin.user(id);
	return { id, streamer: first, keeper: admin.with(second.token) };
}

async function pendingApproval(api: Api): Promise<{ id: string; task_id: string }> {
	let found: { id: string; task_id: string } | undefined;
	const paused = await eventually(async () => {
		found = (await api.get<{ approvals: { id: string; task_id: string }[] }>("/api/approvals")).body.approvals[0];
		return found !== undefined;
	}, 60_000);
	expect(paused, "the run pauses for its approval").toBe(true);
	return found as { id: string; task_id: string };
}

const revoke = (tokenId: string) => admin.call("DELETE", `/api/tokens/${tokenId}`);

describe("#22.4 a revoked token's streams end", () => {
	it("SSE follow: ends within seconds with a comment saying why; the approved run's results never reach it", async () => {
		const { streamer, keeper } = await userWithTwoTokens("streams-sse");
		const created = await admin.with(streamer.token).post<{ task: { id: string } }>("/api/tasks", {
			instruction: "Delete README.md",
		});
		expect(created.status).toBe(201);
		const approval = await pendingApproval(keeper);
		const stream = await OpenStream.open(`${deployment.url}/api/tasks/${created.body.task.id}/events`, {
			headers: { Authorization: `Bearer ${streamer.token}`, Accept: "text/event-stream" },
		});
		expect(stream.status).toBe(200);
		await eventually(() => stream.text.includes("TOOL_CALL_START"), 10_000, 50);
		const revokedAt = Date.now();
		expect((await revoke(streamer.tokenId)).status).toBe(200);
		// A busy stream looks at its token at most a second apart: decide after that.
		await sleep(1_200);
		expect(
			(await keeper.post(`/api/tasks/${approval.task_id}/approvals/${approval.id}`, { approved: true })).status,
		).toBe(200);
		const finished = await eventually(
			async () =>
				(await keeper.get<{ task: { status: string } }>(`/api/tasks/${approval.task_id}`)).body.task.status ===
				"succeeded",
			60_000,
		);
		expect(finished).toBe(true);
		await eventually(() => stream.endedAt !== undefined, 10_000, 50);
		const endedAfterMs = (stream.endedAt ?? Date.now()) - revokedAt;
		const results = stream.data().filter((e) => e.type === "TOOL_CALL_RESULT").length;
		report("holes22: sse after revoke", { ended_after_ms: endedAfterMs, tool_results_after_revoke: results });
		expect(stream.text).toContain(': end {"error":{"code":"unauthorized"');
		expect(results).toBe(0);
		expect(endedAfterMs).toBeLessThan(8_000);
	});

	it("AG-UI run: ends with RUN_ERROR `unauthorized`; the result of the call that was running never reaches it", async () => {
		const { streamer } = await userWithTwoTokens("streams-agui");
		const stream = await OpenStream.open(`${deployment.url}/api/ag-ui`, {
			method: "POST",
			headers: {
				Authorization: `Bearer ${streamer.token}`,
				Accept: "text/event-stream",
				"Content-Type": "application/json",
			},
			body: JSON.stringify({
				threadId: "revoke-me",
				runId: "r1",
				messages: [{ id: "m1", role: "user", content: `Fetch http://127.0.0.1:${slowPort}/slow` }],
			}),
		});
		expect(stream.status).toBe(200);
		expect(await eventually(() => stream.text.includes("TOOL_CALL_END"), 30_000, 20)).toBe(true);
		const revokedAt = Date.now();
		expect((await revoke(streamer.tokenId)).status).toBe(200);
		await eventually(() => stream.endedAt !== undefined, 15_000, 50);
		const events = stream.data();
		const last = events.at(-1);
		report("holes22: ag-ui after revoke", {
			ended_after_ms: (stream.endedAt ?? Date.now()) - revokedAt,
			tool_results_after_revoke: events.filter((e) => e.type === "TOOL_CALL_RESULT").length,
			last_event: `${last?.type}:${last?.code}`,
		});
		expect(last).toMatchObject({ type: "RUN_ERROR", code: "unauthorized" });
		expect(events.filter((e) => e.type === "TOOL_CALL_RESULT")).toHaveLength(0);
		// A quiet stream looks at its token every 5 s: it ended before the fetch (SLOW_MS) answered.
		expect((stream.endedAt ?? Number.POSITIVE_INFINITY) - revokedAt).toBeLessThan(6_500);
	});

	it("long poll: a poll waiting when its token is revoked answers 401, not events", async () => {
		const { streamer, keeper } = await userWithTwoTokens("streams-poll");
		const created = await admin.with(streamer.token).post<{ task: { id: string } }>("/api/tasks", {
			instruction: "Delete README.md",
		});
		await pendingApproval(keeper);
		const last = (
			await keeper.get<{ events: { seq: number }[] }>(`/api/tasks/${created.body.task.id}/events`)
		).body.events.at(-1)?.seq;
		const poll = admin.with(streamer.token).get(`/api/tasks/${created.body.task.id}/events?wait=4&since=${last}`);
		await sleep(300);
		expect((await revoke(streamer.tokenId)).status).toBe(200);
		const answer = await poll;
		expect(answer.status).toBe(401);
		expect(answer.body).toMatchObject({ error: { code: "unauthorized" } });
	});
});

describe("#22 bounds: one user's open streams are capped", () => {
	it("SSE, AG-UI and long polls count together against SPARKY_MAX_STREAMS; a closed one frees its place", async () => {
		const { streamer, keeper } = await userWithTwoTokens("streams-cap");
		const created = await keeper.post<{ task: { id: string } }>("/api/tasks", { instruction: "Delete README.md" });
		await pendingApproval(keeper);
		const url = `${deployment.url}/api/tasks/${created.body.task.id}/events`;
		const headers = { Authorization: `Bearer ${streamer.token}`, Accept: "text/event-stream" };
		const open: OpenStream[] = [];
		for (let i = 0; i < 3; i++) open.push(await OpenStream.open(url, { headers }));
		const refusedSse = await OpenStream.open(url, { headers });
		const refusedPoll = await keeper.get(`/api/tasks/${created.body.task.id}/events?wait=2&since=1000000`);
		const refusedAgUi = await keeper.post("/api/ag-ui", {
			threadId: "cap",
			runId: "r1",
			messages: [{ id: "m1", role: "user", content: "what time is it" }],
		});
		// A read that doesn't wait is no stream: not counted.
		const plainRead = await keeper.get(`/api/tasks/${created.body.task.id}/events`);
		await eventually(() => refusedSse.endedAt !== undefined, 5_000, 20);
		open[0]?.close();
		let reopened: OpenStream | undefined;
		const closedAt = Date.now();
		const freed = await eventually(async () => {
			reopened?.close();
			reopened = await OpenStream.open(url, { headers });
			return reopened.status === 200;
			// A client that left is noticed when a keep-alive (every 5 s) can't be written.
		}, 30_000);
		report("holes22: stream cap", {
			cap: 3,
			fourth_sse: refusedSse.status,
			fourth_as_long_poll: refusedPoll.status,
			fourth_as_ag_ui: refusedAgUi.status,
			plain_read: plainRead.status,
			place_freed_after_ms: Date.now() - closedAt,
		});
		expect(open.map((s) => s.status)).toEqual([200, 200, 200]);
		expect(refusedSse.status).toBe(409);
		expect(refusedSse.text).toContain("SPARKY_MAX_STREAMS");
		expect(refusedPoll.status).toBe(409);
		expect(refusedAgUi.status).toBe(409);
		expect(plainRead.status).toBe(200);
		expect(freed).toBe(true);
		for (const stream of [...open, reopened]) stream?.close();
	});
});
