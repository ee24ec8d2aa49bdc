// Which MCP revision Sparky speaks to a server (issue #28), in workerd: `server/discover` first,
// the 2026-07-28 revision when the answer says so, the 2025 handshake otherwise; and what the
// stateless requests carry. The servers are fetch functions that answer as each revision's
// specification says; the live suite (test/mcp-live/stateless.test.ts) runs the official 2.x server.
import { describe, expect, it } from "vitest";
import {
	callRemoteTool,
	connectMcp,
	LegacyClient,
	listRemoteTools,
	MCP_MAX_MESSAGE_BYTES,
	McpNeedsAuth,
	McpTooLarge,
	McpUnavailable,
} from "../../src/mcp/client.ts";
import { headerValue, STATELESS_REVISION, StatelessClient } from "../../src/mcp/stateless.ts";

const URL_ = "https://mcp.example.com/mcp";
type Rpc = { jsonrpc: string; id?: number; method: string; params?: Record<string, unknown> };
type Seen = { method: string; headers: Headers; body: Rpc };

const json = (body: unknown, status = 200) => Response.json(body, { status });
const tool = (name: string) => ({ name, inputSchema: { type: "object" } });

/**
 * A 2026-07-28-only server: every request must carry the revision in `_meta` and the
 * matching headers (400 with -32022 or -32020 otherwise); `initialize` is refused as an
 * unsupported revision, as the specification asks of a modern-only server.
 */
function statelessServer(
	answer: (rpc: Rpc) => unknown = (rpc) =>
		rpc.method === "tools/list"
			? { resultType: "complete", ttlMs: 60_000, cacheScope: "private", tools: [tool("b"), tool("a")] }
			: { resultType: "complete", content: [{ type: "text", text: `called ${String(rpc.params?.name)}` }] },
): { fetch: typeof fetch; seen: Seen[] } {
	const seen: Seen[] = [];
	return {
		seen,
		fetch: async (input, init) => {
			const request = new Request(input, init);
			if (request.method !== "POST") return new Response(null, { status: 405 });
			const body = (await request.json()) as Rpc;
			seen.push({ method: body.method, headers: request.headers, body });
			const meta = (body.params?._meta ?? {}) as Record<string, unknown>;
			const version = meta["io.modelcontextprotocol/protocolVersion"];
			if (version !== STATELESS_REVISION || request.headers.get("mcp-protocol-version") !== version)
				return json(
					{
						jsonrpc: "2.0",
						id: body.id,
						error: {
							code: -32022,
							message: "Unsupported protocol version",
							data: { supported: [STATELESS_REVISION], requested: String(version ?? "none") },
						},
					},
					400,
				);
			if (request.headers.get("mcp-method") !== body.method)
				return json({ jsonrpc: "2.0", id: body.id, error: { code: -32020, message: "Header mismatch" } }, 400);
			if (body.method === "server/discover")
				return json({
					jsonrpc: "2.0",
					id: body.id,
					result: { resultType: "complete", supportedVersions: [STATELESS_REVISION], capabilities: { tools: {} } },
				});
			return json({ jsonrpc: "2.0", id: body.id, result: answer(body) });
		},
	};
}

/** A 2025 server (stateful, like the 1.x SDK's): 400 to anything before `initialize`, then a session. */
function legacyServer(): { fetch: typeof fetch; seen: string[] } {
	const seen: string[] = [];
	return {
		seen,
		fetch: async (input, init) => {
			const request = new Request(input, init);
			if (request.method !== "POST") return new Response(null, { status: 405 });
			const body = (await request.json()) as Rpc;
			seen.push(body.method);
			if (body.method !== "initialize" && request.headers.get("mcp-session-id") !== "s1")
				return json(
					{ jsonrpc: "2.0", id: null, error: { code: -32000, message: "Bad Request: No valid session ID provided" } },
					400,
				);
			if (body.id === undefined) return new Response(null, { status: 202 });
			const result =
				body.method === "initialize"
					? { protocolVersion: "2025-06-18", capabilities: { tools: {} }, serverInfo: { name: "old", version: "1" } }
					: body.method === "tools/list"
						? { tools: [tool("old-tool")] }
						: { content: [{ type: "text", text: "old call" }] };
			return new Response(JSON.stringify({ jsonrpc: "2.0", id: body.id, result }), {
				headers: { "content-type": "application/json", "mcp-session-id": "s1" },
			});
		},
	};
}

describe("negotiating the revision", () => {
	it("a 2026-07-28-only server: server/discover, then stateless tools/list and tools/call, never initialize", async () => {
		const server = statelessServer();
		const client = await connectMcp({ url: URL_, headers: { "X-Api-Key": "k1" }, allow: [], fetch: server.fetch });
		expect(client).toBeInstanceOf(StatelessClient);
		const listed = await listRemoteTools(client);
		expect(listed.tools.map((t) => t.name)).toEqual(["a", "b"]);
		expect(listed.ttlMs).toBe(60_000);
		const result = await callRemoteTool(client, { name: "a", arguments: { x: 1 } }, { timeoutMs: 5000 });
		expect(result).toMatchObject({ content: [{ type: "text", text: "called a" }] });
		expect(server.seen.map((s) => s.method)).toEqual(["server/discover", "tools/list", "tools/call"]);
		for (const { headers, body } of server.seen) {
			expect(headers.get("x-api-key")).toBe("k1");
			expect(headers.get("accept")).toBe("application/json, text/event-stream");
			expect(headers.get("mcp-session-id")).toBeNull();
			expect(body.params?._meta).toEqual({
				"io.modelcontextprotocol/protocolVersion": "2026-07-28",
				"io.modelcontextprotocol/clientInfo": { name: "sparky", version: "0.1.0" },
				"io.modelcontextprotocol/clientCapabilities": {},
			});
		}
		const call = server.seen[2];
		expect(call?.headers.get("mcp-name")).toBe("a");
		expect(call?.body.params).toMatchObject({ name: "a", arguments: { x: 1 } });
	});

	it("a 2025 server: the discover probe's 400 falls back to initialize and a session", async () => {
		const server = legacyServer();
		const client = await connectMcp({ url: URL_, headers: {}, allow: [], fetch: server.fetch });
		expect(client).toBeInstanceOf(LegacyClient);
		expect((await listRemoteTools(client)).tools.map((t) => t.name)).toEqual(["old-tool"]);
		expect(server.seen).toEqual(["server/discover", "initialize", "notifications/initialized", "tools/list"]);
		await client.close();
	});

	it("falls back too on a 404 page, a -32601 and a result that is no discover result", async () => {
		const answers: ((id: number) => Response)[] = [
			() => new Response("<h1>Not Found</h1>", { status: 404, headers: { "content-type": "text/html" } }),
			(id) => json({ jsonrpc: "2.0", id, error: { code: -32601, message: "Method not found" } }),
			(id) => json({ jsonrpc: "2.0", id, result: { hello: "world" } }),
		];
		for (const answer of answers) {
			const legacy = legacyServer();
			const fetchImpl: typeof fetch = async (input, init) => {
				const body = JSON.parse(String(init?.body)) as Rpc;
				return body.method === "server/discover" ? answer(body.id ?? 0) : legacy.fetch(input, init);
			};
			const client = await connectMcp({ url: URL_, headers: {}, allow: [], fetch: fetchImpl });
			expect(client).toBeInstanceOf(LegacyClient);
			await client.close();
		}
	});

	it("a server that speaks only other stateless revisions is refused, naming them; a 401 is a sign-in", async () => {
		const future: typeof fetch = async (_input, init) => {
			const body = JSON.parse(String(init?.body)) as Rpc;
			const error = { code: -32022, message: "Unsupported", data: { supported: ["2027-03-01"], requested: "x" } };
			return json({ jsonrpc: "2.0", id: body.id, error }, 400);
		};
		const refused = await connectMcp({ url: URL_, headers: {}, allow: [], fetch: future }).catch((e: unknown) => e);
		expect(refused).toBeInstanceOf(McpUnavailable);
		expect((refused as Error).message).toContain("speaks only MCP 2027-03-01");

		const locked: typeof fetch = async () =>
			new Response(null, {
				status: 401,
				headers: { "www-authenticate": 'Bearer resource_metadata="https://mcp.example.com/.well-known/x"' },
			});
		const challenge = await connectMcp({ url: URL_, headers: {}, allow: [], fetch: locked }).catch((e: unknown) => e);
		expect(challenge).toBeInstanceOf(McpNeedsAuth);
		expect((challenge as McpNeedsAuth).resourceMetadataUrl).toBe("https://mcp.example.com/.well-known/x");
	});

	it("the network guard refuses the URL before any request, on either revision", async () => {
		const server = statelessServer();
		const error = await connectMcp({
			url: "http://127.0.0.1:9/mcp",
			headers: {},
			allow: [],
			fetch: server.fetch,
		}).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(McpUnavailable);
		expect((error as Error).message).toMatch(/refused to connect.*loopback/);
		expect(server.seen).toHaveLength(0);
	});
});

describe("stateless answers", () => {
	it("reads an SSE answer after its notifications", async () => {
		const server = statelessServer();
		const sse: typeof fetch = async (input, init) => {
			const body = JSON.parse(String(init?.body)) as Rpc;
			if (body.method !== "tools/call") return server.fetch(input, init);
			const progress = { jsonrpc: "2.0", method: "notifications/progress", params: { progress: 1, progressToken: 1 } };
			const answer = {
				jsonrpc: "2.0",
				id: body.id,
				result: { resultType: "complete", content: [{ type: "text", text: "streamed" }] },
			};
			return new Response(`data: ${JSON.stringify(progress)}\n\ndata: ${JSON.stringify(answer)}\n\n`, {
				headers: { "content-type": "text/event-stream" },
			});
		};
		const client = await connectMcp({ url: URL_, headers: {}, allow: [], fetch: sse });
		const result = await callRemoteTool(client, { name: "é tool", arguments: {} }, { timeoutMs: 5000 });
		expect(result).toMatchObject({ content: [{ text: "streamed" }] });
	});

	it("refuses what isn't an answer it can use: a bad tool list, input_required, an error, a result over the cap", async () => {
		const big = "z".repeat(MCP_MAX_MESSAGE_BYTES + 10);
		const server = statelessServer((rpc) => {
			if (rpc.method === "tools/list") return { resultType: "complete", tools: "not a list" };
			const name = rpc.params?.name;
			if (name === "ask") return { resultType: "input_required", inputRequests: {} };
			return { resultType: "complete", content: [{ type: "text", text: big }] };
		});
		const client = await connectMcp({ url: URL_, headers: {}, allow: [], fetch: server.fetch });
		await expect(listRemoteTools(client)).rejects.toThrow(/not a tool list/);
		await expect(callRemoteTool(client, { name: "ask", arguments: {} }, { timeoutMs: 5000 })).rejects.toThrow(
			/"input_required" result/,
		);
		await expect(callRemoteTool(client, { name: "big", arguments: {} }, { timeoutMs: 5000 })).rejects.toBeInstanceOf(
			McpTooLarge,
		);
		const erring = statelessServer();
		const failing: typeof fetch = async (input, init) => {
			const body = JSON.parse(String(init?.body)) as Rpc;
			if (body.method !== "tools/call") return erring.fetch(input, init);
			return json({ jsonrpc: "2.0", id: body.id, error: { code: -32602, message: "Unknown tool: nope" } }, 200);
		};
		const other = await connectMcp({ url: URL_, headers: {}, allow: [], fetch: failing });
		await expect(callRemoteTool(other, { name: "nope", arguments: {} }, { timeoutMs: 5000 })).rejects.toThrow(
			"the server answered with MCP error -32602: Unknown tool: nope",
		);
	});

	it("encodes an Mcp-Name that isn't plain ASCII with the base64 sentinel", () => {
		expect(headerValue("get_weather")).toBe("get_weather");
		expect(headerValue("Hello, 世界")).toBe("=?base64?SGVsbG8sIOS4lueVjA==?=");
		expect(headerValue(" padded ")).toBe("=?base64?IHBhZGRlZCA=?=");
		expect(headerValue("=?base64?literal?=")).toBe("=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?=");
	});

	it("a call after close is stopped, not sent", async () => {
		const server = statelessServer();
		const client = await connectMcp({ url: URL_, headers: {}, allow: [], fetch: server.fetch });
		await client.close();
		await expect(callRemoteTool(client, { name: "a", arguments: {} }, { timeoutMs: 5000 })).rejects.toThrow();
		expect(server.seen.map((s) => s.method)).toEqual(["server/discover"]);
	});
});
