import { randomBytes } from "node:crypto";
import { createServer, type Server as HttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Api, eventually } from "./support/api.ts";
import { report } from "./support/report.ts";
import { Deployment } from "./support/server.ts";

/**
 * Regression tests for issue #22, holes 5-7 (MCP side), on a real `wrangler dev`, against
 * small MCP servers on 127.0.0.1: one that echoes the credentials it was sent in pieces, one
 * whose tool list pages forever, an HTTP+SSE one that never sends its `endpoint` event, one
 * that answers a call with megabytes; and a runner killed after a cancel.
 */
let deployment: Deployment;
let admin: Api;
const servers: HttpServer[] = [];
const ports: Record<string, number> = {};

const TOKEN = `tok-ECHO-${randomBytes(12).toString("hex")}`;
const PASSWORD = `pw-ECHO-${randomBytes(12).toString("hex")}`;
const BASIC = Buffer.from(`alice:${PASSWORD}`).toString("base64");
/** Every piece of a credential that must never come back out of Sparky. */
const SECRETS = [TOKEN, PASSWORD, BASIC, BASIC.replace(/=+$/, ""), `alice:${PASSWORD}`];
const RUN_LIMIT_SECONDS = 40;

type Rpc = { id?: number; method: string; params?: Record<string, unknown> };
type Handler = (rpc: Rpc, req: IncomingMessage) => Promise<unknown> | unknown;

/** A Streamable HTTP MCP server answering with JSON (no sessions, no GET stream). */
function mcpServer(handle: Handler): HttpServer {
	return createServer(async (req, res) => {
		if (req.method !== "POST") return void res.writeHead(405).end();
		let body = "";
		for await (const chunk of req) body += chunk;
		const rpc = JSON.parse(body) as Rpc;
		if (rpc.id === undefined) return void res.writeHead(202).end();
		const result =
			rpc.method === "initialize"
				? { protocolVersion: "2025-06-18", capabilities: { tools: {} }, serverInfo: { name: "t", version: "1" } }
				: await handle(rpc, req);
		res.writeHead(200, { "content-type": "application/json" });
		res.end(JSON.stringify({ jsonrpc: "2.0", id: rpc.id, result }));
	});
}

const tool = (name: string, description = name) => ({ name, description, inputSchema: { type: "object" } });

/** Echoes, in pieces, whatever credentials it was sent: in a result, an error and its tool list. */
const echoing = mcpServer((rpc, req) => {
	const auth = req.headers.authorization ?? "";
	const [scheme, credentials = ""] = auth.split(" ");
	const pieces = [credentials];
	if (scheme?.toLowerCase() === "basic") {
		const decoded = Buffer.from(credentials, "base64").toString();
		pieces.push(decoded, decoded.split(":")[1] ?? "", credentials.replace(/=+$/, ""));
	}
	const said = `you sent ${pieces.join(" and ")}`;
	if (rpc.method === "tools/list") return { tools: [tool("whoami", `tells you ${credentials}`), tool("fail")] };
	if (rpc.params?.name === "fail")
		return { content: [{ type: "text", text: `bad auth ${credentials}` }], isError: true };
	return { content: [{ type: "text", text: said }], structuredContent: { said, pieces } };
});

let pagesServed = 0;
/** Answers every tools/list with no tools and another cursor, every 200 ms. */
const endless = mcpServer(async (rpc) => {
	if (rpc.method !== "tools/list") return { content: [] };
	pagesServed++;
	await new Promise((r) => setTimeout(r, 200));
	return { tools: [], nextCursor: `c${pagesServed}` };
});

/** Answers a call with 3 MiB of text. */
const huge = mcpServer((rpc) =>
	rpc.method === "tools/list"
		? { tools: [tool("dump")] }
		: { content: [{ type: "text", text: "z".repeat(3 * 1024 * 1024) }] },
);

let silentStreams = 0;
/** Not Streamable HTTP (POST → 405), and an SSE stream that stays open without ever sending `endpoint`. */
const silent = createServer((req: IncomingMessage, res: ServerResponse) => {
	if (req.method === "POST") return void res.writeHead(405).end();
	silentStreams++;
	res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
	res.write(": hello\n\n");
});

const listen = (server: HttpServer) =>
	new Promise<number>((resolve) =>
		server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)),
	);

const VARS = () => ({
	SPARKY_HTTP_FETCH_ALLOW: Object.values(ports)
		.map((p) => `127.0.0.1:${p}`)
		.join(","),
	SPARKY_SECRETS_KEY: "holes22-secrets-key-0123456789abcdefghijkl",
	SPARKY_MAX_RUN_SECONDS: String(RUN_LIMIT_SECONDS),
	SPARKY_RATE_TASKS_BURST: "1000",
});

beforeAll(async () => {
	for (const [name, server] of Object.entries({ echoing, endless, huge, silent })) {
		servers.push(server);
		ports[name] = await listen(server);
	}
	deployment = new Deployment();
	await deployment.start(VARS());
	admin = new Api(deployment.url, deployment.adminToken);
}, 120_000);
afterAll(async () => {
	for (const server of servers) {
		server.closeAllConnections();
		server.close();
	}
	await deployment?.dispose();
});

type Task = { id: string; status: string; result: string | null; error: string | null; cancel_requested?: boolean };
type Event = { type: string; name?: string; content?: string; value?: unknown };

async function newUserApi(id: string): Promise<Api> {
	return admin.with((await admin.user(id)).token);
}

/** `verify: false` for a server that misbehaves on purpose at listing (registration would refuse it, issue #27). */
async function addServer(api: Api, name: string, url: string, headers?: Record<string, string>, verify?: false) {
	const res = await api.post("/api/mcp-servers", {
		name,
		url,
		approval: "never",
		...(headers ? { headers } : {}),
		...(verify === false ? { verify } : {}),
	});
	expect(res.status, JSON.stringify(res.body)).toBe(201);
}

async function postTask(api: Api, instruction: string): Promise<string> {
	const res = await api.post<{ task: Task }>("/api/tasks", { instruction, allow_duplicates: true });
	expect(res.status, JSON.stringify(res.body)).toBe(201);
	return res.body.task.id;
}

const getTask = async (api: Api, id: string) => (await api.get<{ task: Task }>(`/api/tasks/${id}`)).body.task;
const events = async (api: Api, id: string) =>
	(await api.get<{ events: Event[] }>(`/api/tasks/${id}/events?limit=1000`)).body.events;

async function waitFor(api: Api, id: string, statuses: string[], timeoutMs: number): Promise<Task> {
	let task = await getTask(api, id);
	await eventually(
		async () => {
			task = await getTask(api, id);
			return statuses.includes(task.status);
		},
		timeoutMs,
		100,
	);
	return task;
}

describe("#22.5 credentials a server echoes in pieces are redacted everywhere", () => {
	it("Bearer token alone, Basic blob, user:password and password: not in events, result, the agent's view, the tool list or logs", async () => {
		const owner = await newUserApi("h22-echo");
		await addServer(owner, "bearer", `http://127.0.0.1:${ports.echoing}/mcp`, { Authorization: `Bearer ${TOKEN}` });
		await addServer(owner, "basic", `http://127.0.0.1:${ports.echoing}/mcp`, { Authorization: `basic ${BASIC}` });
		const id = await postTask(
			owner,
			"Use the bearer__whoami tool with {} Use the basic__whoami tool with {} Use the bearer__fail tool with {}",
		);
		const task = await waitFor(owner, id, ["succeeded", "failed"], 60_000);
		expect(task.status).toBe("succeeded");
		const own = await events(owner, id);
		const results = own.filter((e) => e.type === "TOOL_CALL_RESULT").map((e) => e.content ?? "");
		expect(results).toHaveLength(3);
		// The echoes did happen (redacted), so the test sees what it guards against.
		expect(results[0]).toContain("you sent [redacted]");
		expect(results[1]).toMatch(/you sent \[redacted\] and \[redacted\] and \[redacted\]/);
		expect(results[2]).toContain("bad auth [redacted]");

		const agent = await newUserApi("agent");
		const views = [
			JSON.stringify(task),
			JSON.stringify(own),
			JSON.stringify(await getTask(agent, id)),
			JSON.stringify(await events(agent, id)),
			JSON.stringify((await agent.get("/api/tasks?limit=100")).body),
			JSON.stringify((await agent.get("/api/agent/status")).body),
			JSON.stringify((await owner.get("/api/mcp-servers/bearer/tools")).body),
			JSON.stringify((await owner.get("/api/mcp-servers/basic/tools")).body),
			deployment.logs,
		];
		expect(views[6]).toContain("tells you [redacted]");
		for (const [i, view] of views.entries()) {
			for (const secret of SECRETS)
				expect(view.includes(secret), `view ${i} shows ${secret.slice(0, 12)}…`).toBe(false);
		}
		report("holes22: echoed credentials", { tool_results: results.length, views_checked: views.length });
	});
});

describe("#22.6 endless tool-list pages don't hold a run", () => {
	it("the listing stops at the page cap, the task ends well within the run limit, another user's task runs meanwhile", async () => {
		const owner = await newUserApi("h22-pages");
		const other = await newUserApi("h22-other");
		await addServer(owner, "pages", `http://127.0.0.1:${ports.endless}/mcp`, undefined, false);
		const started = Date.now();
		const id = await postTask(owner, "Use the pages__anything tool with {}");
		expect((await waitFor(owner, id, ["running"], 30_000)).status).toBe("running");
		// Posted while the endless run holds its batch: it must not wait for it.
		const otherStarted = Date.now();
		const otherId = await postTask(other, "What time is it?");
		const otherTask = await waitFor(other, otherId, ["succeeded", "failed"], 30_000);
		const otherMs = Date.now() - otherStarted;
		const task = await waitFor(owner, id, ["succeeded", "failed", "cancelled"], 30_000);
		const ranMs = Date.now() - started;
		expect(["succeeded", "failed"]).toContain(task.status);
		expect(otherTask.status).toBe("succeeded");
		expect(ranMs).toBeLessThan(20_000);
		expect(ranMs).toBeLessThan(RUN_LIMIT_SECONDS * 1000);
		expect(pagesServed).toBeLessThanOrEqual(21);
		const warning = (await events(owner, id)).find((e) => e.type === "CUSTOM" && e.name === "sparky.mcp.servers");
		expect(JSON.stringify(warning?.value)).toMatch(/went on past 20 pages/);
		report("holes22: endless pages", {
			task_status: task.status,
			task_ended_after_ms: ranMs,
			pages_served: pagesServed,
			other_user_task_ended_after_ms: otherMs,
		});
	});
});

describe("#22 a result over the byte cap", () => {
	it("becomes a clear tool error for the model, the run goes on", async () => {
		const owner = await newUserApi("h22-huge");
		await addServer(owner, "huge", `http://127.0.0.1:${ports.huge}/mcp`);
		const id = await postTask(owner, "Use the huge__dump tool with {}");
		const task = await waitFor(owner, id, ["succeeded", "failed"], 60_000);
		expect(task.status).toBe("succeeded");
		const result = (await events(owner, id)).find((e) => e.type === "TOOL_CALL_RESULT")?.content ?? "";
		expect(result).toContain(
			'huge__dump failed: MCP server \\"huge\\" sent a result over 1 MiB; it was dropped unread',
		);
		expect(result.length).toBeLessThan(1000);
		report("holes22: huge result", { task_status: task.status, result_chars: result.length });
	});
});

describe("#22.7 an SSE server that never sends `endpoint`; cancel after a runner death", () => {
	it("the run waiting on it is cancelled within seconds", async () => {
		const owner = await newUserApi("h22-silent");
		await addServer(owner, "silent", `http://127.0.0.1:${ports.silent}/sse`, undefined, false);
		const id = await postTask(owner, "Use the silent__anything tool with {}");
		expect((await waitFor(owner, id, ["running"], 30_000)).status).toBe("running");
		await eventually(() => silentStreams > 0, 10_000, 50);
		const cancelAt = Date.now();
		expect((await owner.post(`/api/tasks/${id}/cancel`)).status).toBe(202);
		const task = await waitFor(owner, id, ["cancelled", "queued", "failed", "succeeded"], 8_000);
		const cancelMs = Date.now() - cancelAt;
		expect(task.status).toBe("cancelled");
		expect(cancelMs).toBeLessThan(5_000);
		report("holes22: silent SSE cancel", { cancelled_after_ms: cancelMs });
	});

	it("a runner killed after the cancel: the task ends cancelled, not queued forever", async () => {
		// A runner stuck for good (a failpoint after its tool call), then the cancel, then a crash.
		await deployment.crash();
		await deployment.start({ ...VARS(), SPARKY_FAILPOINTS: "runner.after-tool" });
		const owner = await newUserApi("h22-crash");
		// An MCP tool is never idempotent: its result is checkpointed at once, where the failpoint waits.
		await addServer(owner, "plain", `http://127.0.0.1:${ports.echoing}/mcp`);
		const id = await postTask(owner, "Use the plain__whoami tool with {}");
		await deployment.waitForLog("FAILPOINT reached", 30_000);
		expect((await owner.post(`/api/tasks/${id}/cancel`)).status).toBe(202);
		expect((await getTask(owner, id)).cancel_requested).toBe(true);
		await deployment.crash();
		const restartAt = Date.now();
		await deployment.start(VARS());
		const task = await waitFor(owner, id, ["cancelled", "failed", "succeeded"], 45_000);
		const endedMs = Date.now() - restartAt;
		expect(task.status).toBe("cancelled");
		report("holes22: cancel then crash", { ended_after_restart_ms: endedMs, status: task.status });
	});
});
