// A server on MCP's stateless revision only (2026-07-28: no initialize, no sessions), built
// with the official 2.x SDK (@modelcontextprotocol/server, modern-server.ts), against a real
// `wrangler dev` and the demo model (issue #28). The 2025 servers of mcp-servers.test.ts and
// oauth.test.ts go on working beside it.
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listenOn } from "./listening.ts";
import { modernHandler, type SeenRequest } from "./modern-server.ts";
import { api, live, newUser, runTask } from "./support.ts";

const seen: SeenRequest[] = [];
let server: Server;
let url: string;

beforeAll(async () => {
	const handle = modernHandler(seen);
	server = createServer((req, res) => {
		handle(req, res).catch(() => res.destroy());
	});
	await listenOn(server, live().modernPort);
	url = `http://127.0.0.1:${live().modernPort}/mcp`;
});

afterAll(async () => {
	server?.closeAllConnections();
	await new Promise((r) => server?.close(r));
});

describe("an MCP server that speaks only 2026-07-28", () => {
	it("refuses the 2025 handshake (what the 1.x SDK alone sends), naming the revision it speaks", async () => {
		const res = await fetch(url, {
			method: "POST",
			headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
			body: JSON.stringify({
				jsonrpc: "2.0",
				id: 1,
				method: "initialize",
				params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "old", version: "1" } },
			}),
		});
		const body = (await res.json()) as { error?: { code: number; data?: { supported?: string[] } } };
		expect(body.error?.code).toBe(-32022);
		expect(body.error?.data?.supported).toEqual(["2026-07-28"]);
	});

	it("is registered, lists its tools and runs one in a task (demo model), statelessly", async () => {
		const user = await newUser();
		const from = seen.length;
		const created = await api("/api/mcp-servers", {
			token: user.token,
			body: { name: "modern", url, headers: { "X-Api-Key": "sk-modern-key" } },
		});
		expect(created.status, created.text).toBe(201);
		const tools = await api("/api/mcp-servers/modern/tools", { token: user.token });
		expect(tools.status, tools.text).toBe(200);
		expect(tools.body.tools.map((t: { name: string }) => t.name)).toEqual(["add", "whoami"]);
		expect(tools.body.tools[0]).toMatchObject({
			agent_name: "modern__add",
			input_schema: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } } },
			read_only: true,
		});
		const { task, events } = await runTask(user.token, 'Use the modern__add tool with {"a": 2, "b": 40}');
		expect(task.status).toBe("succeeded");
		expect(task.result).toContain("**modern__add** returned:");
		expect(task.result).toContain("sum 42");
		expect(events).toContain("TOOL_CALL_RESULT");
		expect(events).not.toContain("sk-modern-key");

		const methods = seen.slice(from).map((s) => s.method);
		expect(methods).toContain("server/discover");
		expect(methods).toContain("tools/list");
		expect(methods).toContain("tools/call");
		expect(methods).not.toContain("initialize");
		for (const request of seen.slice(from)) {
			expect(request.protocolVersion).toBe("2026-07-28");
			expect(request.sessionId).toBeUndefined();
		}
		const health = (await api("/api/mcp-servers/modern", { token: user.token })).body.mcp_server.health;
		expect(health).toMatchObject({ state: "ok", last_error: null });
	});
});
