import { createHash } from "node:crypto";
import { readdirSync } from "node:fs";
import { createServer, type Server as HttpServer } from "node:http";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { Api, eventually } from "./support/api.ts";
import { report } from "./support/report.ts";
import { Deployment } from "./support/server.ts";

/**
 * Regression tests for issue #22 (holes 2 and 3, and deciding past `expires_at`), tried on a
 * real `wrangler dev` with the demo model and a small MCP server of our own on 127.0.0.1.
 */
let deployment: Deployment;
let admin: Api;
let mcp: HttpServer;
let mcpUrl = "";

/** The MCP server's state: whether `stamp` says it is read-only, and every call it received. */
const stamp = { readOnly: false, calls: [] as string[] };

/** A stateless Streamable HTTP MCP server with one tool, `stamp`, whose read-only hint the test flips. */
function startMcp(): Promise<number> {
	mcp = createServer(async (req, res) => {
		if (req.method !== "POST") {
			res.writeHead(405, { Allow: "POST" }).end();
			return;
		}
		const chunks: Buffer[] = [];
		for await (const chunk of req) chunks.push(chunk as Buffer);
		const server = new McpServer({ name: "holes22", version: "1.0.0" });
		server.registerTool(
			"stamp",
			{
				description: "Stamps a note (changes things unless it says it is read-only).",
				inputSchema: { note: z.string() },
				annotations: { readOnlyHint: stamp.readOnly },
			},
			async ({ note }) => {
				stamp.calls.push(note);
				return { content: [{ type: "text", text: `stamped ${note}` }] };
			},
		);
		const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
		res.on("close", () => {
			void transport.close();
			void server.close();
		});
		await server.connect(transport);
		await transport.handleRequest(req, res, JSON.parse(Buffer.concat(chunks).toString("utf8")));
	});
	return new Promise((resolve) => mcp.listen(0, "127.0.0.1", () => resolve((mcp.address() as { port: number }).port)));
}

/** The deployment's D1 file (read and, for the expiry test, written beside the running server). */
function d1(): DatabaseSync {
	const dir = join(deployment.stateDir, "v3", "d1", "miniflare-D1DatabaseObject");
	for (const file of readdirSync(dir).filter((f) => f.endsWith(".sqlite"))) {
		const db = new DatabaseSync(join(dir, file));
		const found = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'approvals'").get();
		if (found) return db;
		db.close();
	}
	throw new Error(`no D1 database with an approvals table under ${dir}`);
}

/** The SHA-256 (hex) of a workspace file's bytes, as its row records it; undefined when there is no such file. */
function fileHash(userId: string, path: string): string | undefined {
	const db = d1();
	try {
		const row = db.prepare("SELECT sha256 FROM workspace_files WHERE user_id = ? AND path = ?").get(userId, path) as
			| { sha256: string }
			| undefined;
		return row?.sha256;
	} finally {
		db.close();
	}
}

const sha256Hex = (text: string) => createHash("sha256").update(text).digest("hex");

beforeAll(async () => {
	const port = await startMcp();
	mcpUrl = `http://127.0.0.1:${port}/mcp`;
	deployment = new Deployment();
	await deployment.start({
		SPARKY_HTTP_FETCH_ALLOW: `127.0.0.1:${port}`,
		SPARKY_SECRETS_KEY: "holes22-secrets-key-0123456789abcdefghijklmn",
	});
	admin = new Api(deployment.url, deployment.adminToken);
});
afterAll(async () => {
	mcp?.closeAllConnections();
	mcp?.close();
	await deployment?.dispose();
});

type Approval = { id: string; tool: string; status: string; input: unknown };
type TaskView = { id: string; status: string; result: string | null; approvals: Approval[] };

async function task(api: Api, id: string): Promise<TaskView> {
	return (await api.get<{ task: TaskView }>(`/api/tasks/${id}`)).body.task;
}

async function until(api: Api, id: string, statuses: string[], timeoutMs = 60_000): Promise<TaskView> {
	let last: TaskView | undefined;
	const reached = await eventually(async () => {
		last = await task(api, id);
		return statuses.includes(last.status);
	}, timeoutMs);
	expect(reached, `${id} reaches ${statuses.join("/")} (is ${last?.status})`).toBe(true);
	return last as TaskView;
}

async function create(api: Api, body: Record<string, unknown>): Promise<string> {
	const res = await api.post<{ task: { id: string } }>("/api/tasks", { allow_duplicates: true, ...body });
	expect(res.status, JSON.stringify(res.body)).toBe(201);
	return res.body.task.id;
}

const decide = (api: Api, taskId: string, approvalId: string, body: Record<string, unknown>) =>
	api.post<{ error?: { code: string; details?: { status?: string } } }>(
		`/api/tasks/${taskId}/approvals/${approvalId}`,
		body,
	);

describe("#22.2 a follow-up task keeps its parent's approvals", () => {
	it("the follow-up pauses before its write, and writes nothing until approved", async () => {
		const user = await admin.user("holes22-follow");
		const api = admin.with(user.token);
		const parent = await create(api, {
			instruction: "Add a follow-up task: Write notes/fu.md with: escaped",
			approve: ["write_file"],
		});
		// The parent queues the follow-up, then pauses before its own write.
		const paused = await until(api, parent, ["awaiting_approval", "succeeded", "failed"]);
		expect(paused.status).toBe("awaiting_approval");
		expect(paused.approvals.map((a) => a.tool)).toEqual(["write_file"]);
		let childId = "";
		expect(
			await eventually(async () => {
				const list = await api.get<{ tasks: { id: string }[] }>(`/api/tasks?parent_task_id=${parent}`);
				childId = list.body.tasks[0]?.id ?? "";
				return childId !== "";
			}, 30_000),
		).toBe(true);
		const child = await until(api, childId, ["awaiting_approval", "succeeded", "failed"]);
		report("holes22: follow-up approvals", {
			child_status: child.status,
			child_approvals: child.approvals.map((a) => `${a.tool}:${a.status}`),
			written_before_approval: fileHash(user.id, "notes/fu.md") !== undefined,
		});
		expect(child.status).toBe("awaiting_approval");
		expect(child.approvals).toMatchObject([{ tool: "write_file", status: "pending", input: { path: "notes/fu.md" } }]);
		expect(fileHash(user.id, "notes/fu.md")).toBeUndefined();

		expect((await decide(api, childId, (child.approvals[0] as Approval).id, { approved: true })).status).toBe(200);
		expect((await until(api, childId, ["succeeded", "failed"])).status).toBe("succeeded");
		expect(fileHash(user.id, "notes/fu.md")).toBe(sha256Hex("escaped\n"));
		// The parent's own write is still waiting for its own decision.
		expect((await task(api, parent)).status).toBe("awaiting_approval");
	});
});

describe("#22.3 a denied MCP call never runs, whatever the approve list says afterwards", () => {
	const instruction = (note: string) => `Use the holes__stamp tool with {"note":"${note}"}`;

	async function pausedAtStamp(api: Api, note: string): Promise<{ id: string; approval: Approval }> {
		const id = await create(api, { instruction: instruction(note) });
		const paused = await until(api, id, ["awaiting_approval", "succeeded", "failed"]);
		expect(paused.status, paused.result ?? "").toBe("awaiting_approval");
		const approval = paused.approvals.at(-1) as Approval;
		expect(approval).toMatchObject({ tool: "holes__stamp", status: "pending", input: { note } });
		return { id, approval };
	}

	it("PATCH the server's approval to never, then deny: the server never receives the call", async () => {
		const user = await admin.user("holes22-patch");
		const api = admin.with(user.token);
		stamp.readOnly = false;
		expect((await api.post("/api/mcp-servers", { name: "holes", url: mcpUrl, approval: "always" })).status).toBe(201);
		const { id, approval } = await pausedAtStamp(api, "patched");
		const patched = await api.call("PATCH", "/api/mcp-servers/holes", { approval: "never" });
		expect(patched.status).toBe(200);
		expect((await decide(api, id, approval.id, { approved: false, reason: "not this one" })).status).toBe(200);
		const done = await until(api, id, ["succeeded", "failed"]);
		report("holes22: mcp approval patched to never, then denied", {
			status: done.status,
			server_calls: stamp.calls.filter((n) => n === "patched").length,
		});
		expect(done.status).toBe("succeeded");
		expect(done.result).toContain(`denied by ${user.id}: not this one`);
		expect(stamp.calls).not.toContain("patched");
	});

	it("the server re-lists the tool as read-only, then deny: it never receives the call; approved, once", async () => {
		const user = await admin.user("holes22-relist");
		const api = admin.with(user.token);
		stamp.readOnly = false;
		expect((await api.post("/api/mcp-servers", { name: "holes", url: mcpUrl, approval: "auto" })).status).toBe(201);
		const denied = await pausedAtStamp(api, "relisted");
		const allowed = await pausedAtStamp(api, "relisted-ok");
		// Now the server says the tool is read-only: under `auto`, the next listing needs no approval.
		stamp.readOnly = true;
		expect((await decide(api, denied.id, denied.approval.id, { approved: false })).status).toBe(200);
		expect((await decide(api, allowed.id, allowed.approval.id, { approved: true })).status).toBe(200);
		const [deniedDone, allowedDone] = [
			await until(api, denied.id, ["succeeded", "failed"]),
			await until(api, allowed.id, ["succeeded", "failed"]),
		];
		report("holes22: mcp tool re-listed read-only, then decided", {
			denied_status: deniedDone.status,
			denied_calls: stamp.calls.filter((n) => n === "relisted").length,
			approved_calls: stamp.calls.filter((n) => n === "relisted-ok").length,
		});
		expect(deniedDone.status).toBe("succeeded");
		expect(deniedDone.result).toContain(`denied by ${user.id}`);
		expect(stamp.calls).not.toContain("relisted");
		expect(allowedDone.status).toBe("succeeded");
		expect(stamp.calls.filter((n) => n === "relisted-ok")).toHaveLength(1);
		stamp.readOnly = false;
	});
});

describe("#22 bound: an approval past expires_at can't be decided", () => {
	it("approving it is a 409 approval_expired, and the call never runs", async () => {
		const user = await admin.user("holes22-expired");
		const api = admin.with(user.token);
		const id = await create(api, { instruction: "Write late.md with: too late", approve: ["write_file"] });
		const paused = await until(api, id, ["awaiting_approval", "succeeded", "failed"]);
		expect(paused.status).toBe("awaiting_approval");
		const approval = paused.approvals[0] as Approval;
		// Its time ran out (the TTL is at least an hour: moved back in the running server's D1).
		const db = d1();
		try {
			db.prepare("UPDATE approvals SET expires_at = ? WHERE id = ?").run(Date.now() - 1000, approval.id);
		} finally {
			db.close();
		}
		const res = await decide(api, id, approval.id, { approved: true });
		const again = await decide(api, id, approval.id, { approved: true });
		const done = await until(api, id, ["succeeded", "failed"]);
		report("holes22: deciding an expired approval", {
			status: res.status,
			code: res.body.error?.code,
			again: `${again.status} ${again.body.error?.code}`,
			task: done.status,
			written: fileHash(user.id, "late.md") !== undefined,
		});
		expect(res.status).toBe(409);
		expect(res.body.error).toMatchObject({ code: "approval_expired", details: { status: "expired" } });
		expect(again.status).toBe(409);
		expect(again.body.error?.code).toBe("approval_expired");
		expect((await task(api, id)).approvals[0]).toMatchObject({ status: "expired" });
		expect(done.status).toBe("succeeded");
		expect(done.result).toContain("approval expired");
		expect(fileHash(user.id, "late.md")).toBeUndefined();
	});
});
