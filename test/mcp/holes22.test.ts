// Issue 22, holes 5-7 (MCP side), in workerd: secrets echoed in pieces are redacted; tool
// lists that page forever, results over the byte cap and an SSE server that never announces
// its endpoint end with clear errors; a cancel-requested task is always ended.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { depsFor } from "../../src/deps.ts";
import {
	capMessages,
	connectMcp,
	listRemoteTools,
	MCP_MAX_MESSAGE_BYTES,
	MCP_MAX_TOOL_PAGES,
	McpStopped,
	McpTimeout,
	McpTooLarge,
	McpUnavailable,
	Oversize,
} from "../../src/mcp/client.ts";
import { scrub, scrubJson, secretParts } from "../../src/mcp/names.ts";
import { loadMcpTools } from "../../src/mcp/tools.ts";
import { sweepLeases } from "../../src/runner/sweep.ts";
import { requestCancel } from "../../src/storage/tasks.ts";
import { api, json, newUser } from "../support/api.ts";
import { claimed, deliver, queuedTask, reload } from "../support/tasks.ts";

const b64 = (text: string) => btoa(text);

describe("scrub: every secret part of a header value", () => {
	it("redacts the token after Bearer when only the token is echoed, in any scheme case", () => {
		for (const scheme of ["Bearer", "bearer", "BEARER", "BeArEr"]) {
			const headers = { Authorization: `${scheme} tok-SECRET-123456` };
			expect(scrub("you sent tok-SECRET-123456.", headers)).toBe("you sent [redacted].");
			expect(scrub(`whole: ${scheme} tok-SECRET-123456`, headers)).toBe("whole: [redacted]");
			// JSON-escaped and in another letter case.
			expect(scrub('{"t":"TOK-secret-123456"}', headers)).toBe('{"t":"[redacted]"}');
		}
	});

	it("redacts Basic credentials: the base64 blob (with and without padding), user:password and the password", () => {
		const blob = b64("alice:pa55-word!x"); // YWxpY2U6cGE1NS13b3JkIXg=
		expect(blob.endsWith("=")).toBe(true);
		const headers = { authorization: `Basic ${blob}` };
		const echoed = [blob, blob.replace(/=+$/, ""), "alice:pa55-word!x", "pa55-word!x"];
		for (const echo of echoed) {
			const out = scrub(`server says: ${echo} end`, headers);
			expect(out, echo).not.toContain("pa55");
			expect(out, echo).not.toContain(blob.slice(0, 12));
			expect(out, echo).toContain("[redacted]");
		}
		expect(secretParts(`basic ${blob}`)).toEqual(
			expect.arrayContaining([`basic ${blob}`, blob, "alice:pa55-word!x", "pa55-word!x"]),
		);
	});

	it("redacts the credentials of other schemes and plain values, leaves short parts and other text alone", () => {
		const headers = { "X-Api-Key": "sk-live-abcdef", Authorization: "Token tk_9f8e7d6c", "X-Short": "ab" };
		expect(scrub("key sk-live-abcdef then tk_9f8e7d6c ab Token", headers)).toBe(
			"key [redacted] then [redacted] ab Token",
		);
		// A Basic value that doesn't decode keeps its blob redacted, nothing more.
		expect(scrub("x !!notb64!! y", { Authorization: "Basic !!notb64!!" })).toBe("x [redacted] y");
		expect(scrub("nothing secret here", {})).toBe("nothing secret here");
	});

	it("redacts a cookie's values, not its short settings", () => {
		const headers = { Cookie: "session=S3CRETVALUE; theme=dark" };
		expect(scrub("session S3CRETVALUE expired", headers)).toBe("session [redacted] expired");
		expect(scrub('{"cookie":"s3cretvalue"}', headers)).toBe('{"cookie":"[redacted]"}');
		expect(scrub("the dark theme is on", headers)).toBe("the dark theme is on");
		expect(secretParts("session=S3CRETVALUE; theme=dark")).not.toContain("dark");
	});

	it("redacts the quoted value of Token token=…, Digest's response= and AWS4's Credential= and Signature=", () => {
		const token = { Authorization: 'Token token="tok_7Hq2LmZ9xW", realm="api"' };
		expect(scrub("bad token tok_7Hq2LmZ9xW", token)).toBe("bad token [redacted]");
		expect(scrub('token="tok_7Hq2LmZ9xW" rejected', token)).toBe('token="[redacted]" rejected');

		const response = "6629fae49393a05397450978507c4ef1";
		const digest = {
			Authorization: `Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", response="${response}", opaque="5ccc069c403ebaf9f0171e9517f40e41"`,
		};
		expect(scrub(`digest ${response} does not match`, digest)).toBe("digest [redacted] does not match");
		expect(scrub("nonce dcd98b7102dd2f0e8b11d0f600bfb0c093 is stale", digest)).toBe("nonce [redacted] is stale");
		// Short settings (`qop=auth`, `nc`, the 6-letter user name) are not redacted everywhere.
		expect(scrub("auth failed for Mufasa", digest)).toBe("auth failed for Mufasa");

		const signature = "fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024";
		const aws = {
			Authorization: `AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-date, Signature=${signature}`,
		};
		expect(scrub(`The request signature we calculated does not match ${signature}`, aws)).toBe(
			"The request signature we calculated does not match [redacted]",
		);
		expect(scrub("credential AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request unknown", aws)).toBe(
			"credential [redacted] unknown",
		);
		// The signed header names stay readable.
		expect(scrub("missing x-amz-date", aws)).toBe("missing x-amz-date");
	});

	it("redacts a secret echoed URL-encoded (`/ + =` as %2F %2B %3D), in either case of hex", () => {
		const secret = "ab/cd+ef=gh/ij+kl==";
		const headers = { "X-Api-Key": secret, Authorization: "Bearer tok/with+slash=" };
		const encoded = encodeURIComponent(secret);
		expect(encoded).toBe("ab%2Fcd%2Bef%3Dgh%2Fij%2Bkl%3D%3D");
		expect(scrub(`GET /v1?key=${encoded} 401`, headers)).toBe("GET /v1?key=[redacted] 401");
		expect(scrub(`GET /v1?key=${encoded.toLowerCase()} 401`, headers)).toBe("GET /v1?key=[redacted] 401");
		expect(scrub("callback?t=tok%2Fwith%2Bslash%3D denied", headers)).toBe("callback?t=[redacted] denied");
		// A cookie value sent percent-encoded comes back decoded.
		expect(scrub("sid a/b+c=d/e+f expired", { Cookie: "sid=a%2Fb%2Bc%3Dd%2Fe%2Bf" })).toBe("sid [redacted] expired");
	});

	it("scrubs every string of a JSON value, keys included", () => {
		const headers = { Authorization: "Bearer tok-SECRET-123456" };
		expect(
			scrubJson(
				{ description: "echo tok-SECRET-123456", tok: { "tok-SECRET-123456": [1, "tok-SECRET-123456"] } },
				headers,
			),
		).toEqual({ description: "echo [redacted]", tok: { "[redacted]": [1, "[redacted]"] } });
	});
});

/** A 2025 Streamable HTTP MCP server as a fetch function (JSON answers), answering tools/list and tools/call with `handle`. */
function fakeServer(handle: (method: string, params: Record<string, unknown>) => unknown): {
	fetch: typeof fetch;
	calls: string[];
} {
	const calls: string[] = [];
	return {
		calls,
		fetch: async (input, init) => {
			const request = new Request(input, init);
			if (request.method !== "POST") return new Response(null, { status: 405 });
			const message = (await request.json()) as { id?: number; method: string; params?: Record<string, unknown> };
			calls.push(message.method);
			if (message.id === undefined) return new Response(null, { status: 202 });
			// A 2025 server: methods it doesn't know (the 2026-07-28 server/discover) are a JSON-RPC error.
			if (!["initialize", "tools/list", "tools/call"].includes(message.method))
				return Response.json({ jsonrpc: "2.0", id: message.id, error: { code: -32601, message: "Method not found" } });
			const result =
				message.method === "initialize"
					? {
							protocolVersion: "2025-06-18",
							capabilities: { tools: {} },
							serverInfo: { name: "fake", version: "1" },
						}
					: await handle(message.method, message.params ?? {});
			if (result instanceof Response) return result;
			return Response.json({ jsonrpc: "2.0", id: message.id, result });
		},
	};
}

const URL_ = "https://mcp.example.com/mcp";
const aTool = (name: string) => ({ name, inputSchema: { type: "object" } });

describe("tool-list pages are capped", () => {
	it("a server that pages forever with no tools is unavailable after the page cap, not a hang", async () => {
		let page = 0;
		const server = fakeServer(() => ({ tools: [], nextCursor: `c${++page}` }));
		const client = await connectMcp({ url: URL_, headers: {}, allow: [], fetch: server.fetch });
		const started = Date.now();
		const error = await listRemoteTools(client).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(McpUnavailable);
		expect((error as Error).message).toMatch(/went on past 20 pages/);
		expect(server.calls.filter((m) => m === "tools/list")).toHaveLength(MCP_MAX_TOOL_PAGES);
		expect(Date.now() - started).toBeLessThan(5000);
	});

	it("one that pages forever with tools keeps what it listed and says it stopped", async () => {
		let page = 0;
		const server = fakeServer(() => ({ tools: [aTool(`t${page}`)], nextCursor: `c${++page}` }));
		const client = await connectMcp({ url: URL_, headers: {}, allow: [], fetch: server.fetch });
		const listed = await listRemoteTools(client);
		expect(listed.tools).toHaveLength(MCP_MAX_TOOL_PAGES);
		expect(listed.stopped).toMatch(/past 20 pages \(20 tools by then\)/);
	});

	it("listing all pages has one deadline, and stops when the run's signal aborts", async () => {
		let page = 0;
		const slow = fakeServer(async () => {
			await new Promise((r) => setTimeout(r, 50));
			return { tools: [], nextCursor: `c${++page}` };
		});
		const client = await connectMcp({ url: URL_, headers: {}, allow: [], fetch: slow.fetch });
		await expect(listRemoteTools(client, { timeoutMs: 120, maxPages: 1000 })).rejects.toBeInstanceOf(McpTimeout);
		const run = new AbortController();
		setTimeout(() => run.abort("cancelled"), 100);
		const stopped = await listRemoteTools(client, { signal: run.signal, maxPages: 1000 }).catch((e: unknown) => e);
		expect(stopped).toBeInstanceOf(McpStopped);
		expect((stopped as Error).message).toBe("listing tools was stopped: the run was cancelled");
	});
});

describe("the byte cap on messages from a server", () => {
	const read = (response: Response) => response.text();

	it("cuts a JSON body over the cap before it is parsed, and trips the connection's wire", async () => {
		const oversize = new Oversize();
		const wire = oversize.signal;
		const big = new Response("x".repeat(MCP_MAX_MESSAGE_BYTES + 10), {
			headers: { "content-type": "application/json" },
		});
		await expect(read(capMessages(big, MCP_MAX_MESSAGE_BYTES, oversize))).rejects.toBeInstanceOf(McpTooLarge);
		expect(wire.aborted).toBe(true);
		expect(oversize.signal.aborted).toBe(false);
		const small = new Response("x".repeat(1000));
		expect(await read(capMessages(small, MCP_MAX_MESSAGE_BYTES, oversize))).toHaveLength(1000);
	});

	it("counts an SSE stream per event: many small events pass, one big event does not", async () => {
		const sse = { "content-type": "text/event-stream" };
		const event = `data: ${"y".repeat(1000)}\r\n\r\n`;
		const many = new Response(event.repeat(3000), { headers: sse });
		expect((await read(capMessages(many, 64 * 1024))).length).toBe(event.length * 3000);
		const one = new Response(`data: ${"y".repeat(70 * 1024)}\n\n`, { headers: sse });
		await expect(read(capMessages(one, 64 * 1024))).rejects.toBeInstanceOf(McpTooLarge);
	});

	it("a tool result over the cap is a clear tool error for the model, not a crash", async () => {
		const user = await newUser();
		const added = await api("/api/mcp-servers", {
			token: user.token,
			body: { name: "huge", url: URL_, verify: false },
		});
		expect(added.status).toBe(201);
		const server = fakeServer((method) =>
			method === "tools/list"
				? { tools: [aTool("dump")] }
				: { content: [{ type: "text", text: "z".repeat(2 * MCP_MAX_MESSAGE_BYTES) }] },
		);
		const run = await loadMcpTools(env, user.id, { signal: new AbortController().signal, fetch: server.fetch });
		try {
			const dump = run.tools.huge__dump;
			expect(dump).toBeDefined();
			const execute = dump?.execute as ((input: unknown, options: unknown) => Promise<unknown>) | undefined;
			const out = await execute?.({}, { toolCallId: "c1", messages: [] });
			expect(out).toEqual({
				error: 'huge__dump failed: MCP server "huge" sent a result over 1 MiB; it was dropped unread',
			});
		} finally {
			await run.close();
		}
	});
});

describe("a registered server's Cookie header", () => {
	it("is redacted from the server's error text when it echoes only the session value", async () => {
		const user = await newUser();
		const added = await api("/api/mcp-servers", {
			token: user.token,
			body: { name: "jar", url: URL_, headers: { Cookie: "session=S3CRETVALUE; theme=dark" }, verify: false },
		});
		expect(added.status).toBe(201);
		const server = fakeServer((method) =>
			method === "tools/list"
				? { tools: [aTool("whoami")] }
				: { isError: true, content: [{ type: "text", text: "session S3CRETVALUE expired (theme dark)" }] },
		);
		const run = await loadMcpTools(env, user.id, { signal: new AbortController().signal, fetch: server.fetch });
		try {
			const execute = run.tools.jar__whoami?.execute as
				| ((input: unknown, options: unknown) => Promise<unknown>)
				| undefined;
			const out = await execute?.({}, { toolCallId: "c1", messages: [] });
			expect(out).toEqual({ error: "jar__whoami reported an error: session [redacted] expired (theme dark)" });
		} finally {
			await run.close();
		}
	});
});

describe("connecting has a deadline around the transport's start", () => {
	/** Not Streamable HTTP (POST → 404), and an SSE stream that never sends `endpoint`. */
	const silentSse: typeof fetch = async (input, init) => {
		const request = new Request(input, init);
		if (request.method === "POST") return new Response("no", { status: 404 });
		const stream = new ReadableStream<Uint8Array>({
			start(controller) {
				controller.enqueue(new TextEncoder().encode(": hello\n\n"));
			},
		});
		return new Response(stream, { headers: { "content-type": "text/event-stream" } });
	};

	it("times out when the endpoint event never comes", async () => {
		const started = Date.now();
		const error = await connectMcp({ url: URL_, headers: {}, allow: [], fetch: silentSse, timeoutMs: 300 }).catch(
			(e: unknown) => e,
		);
		expect(error).toBeInstanceOf(McpTimeout);
		expect((error as Error).message).toMatch(/connecting timed out after 0.3 s/);
		expect(Date.now() - started).toBeLessThan(3000);
	});

	it("stops at once when the run is cancelled", async () => {
		const run = new AbortController();
		setTimeout(() => run.abort("cancelled"), 100);
		const started = Date.now();
		const error = await connectMcp({ url: URL_, headers: {}, allow: [], fetch: silentSse, signal: run.signal }).catch(
			(e: unknown) => e,
		);
		expect(error).toBeInstanceOf(McpStopped);
		expect(Date.now() - started).toBeLessThan(3000);
	});
});

describe("a cancel-requested task is always ended", () => {
	it("the sweep cancels a running task whose runner died after the cancel (not back to queued)", async () => {
		const user = await newUser();
		const task = await queuedTask(user.id);
		const { row } = await claimed(task);
		expect(await requestCancel(env.DB, row.id, Date.now())).not.toBeNull();
		await env.DB.prepare("UPDATE tasks SET lease_expires_at = ? WHERE id = ?")
			.bind(Date.now() - 1, row.id)
			.run();
		expect(await sweepLeases(depsFor(env), Date.now())).toBeGreaterThanOrEqual(1);
		const after = await reload(row.id);
		expect(after.status).toBe("cancelled");
		expect(after.finished_at).not.toBeNull();
		expect(after.lease_owner).toBeNull();
	});

	it("a queued task with a cancel request (left by the old sweep) is ended by the next claim, and by the sweep", async () => {
		const user = await newUser();
		const now = Date.now();
		const byClaim = await queuedTask(user.id, { attempts: 1 } as never);
		const bySweep = await queuedTask(user.id);
		await env.DB.prepare("UPDATE tasks SET cancel_requested_at = ? WHERE id IN (?, ?)")
			.bind(now, byClaim.id, bySweep.id)
			.run();
		const delivered = await deliver(byClaim.id);
		expect(delivered.explicitAcks).toContain(`msg-${byClaim.id}-1`);
		expect((await reload(byClaim.id)).status).toBe("cancelled");
		await sweepLeases(depsFor(env), Date.now());
		expect((await reload(bySweep.id)).status).toBe("cancelled");
	});
});

describe("registering a server checks that it answers MCP (issue #27)", () => {
	it("refuses a URL that is no MCP endpoint (a web page) with a 422 naming what was tried; verify: false skips the check", async () => {
		const { createMcpServer } = await import("../../src/mcp/service.ts");
		const user = await newUser();
		const page: typeof fetch = async () =>
			new Response("<html>hello</html>", { headers: { "content-type": "text/html" } });
		const refused = await createMcpServer(env, user.id, { name: "web", url: URL_ }, { fetch: page }).then(
			() => undefined,
			(error: unknown) => error as { kind: string; code: string; message: string; details: { tried: string[] } },
		);
		expect(refused).toMatchObject({ kind: "unprocessable", code: "mcp_unreachable" });
		expect(refused?.message).toMatch(/^https:\/\/mcp\.example\.com\/mcp did not answer as an MCP server/);
		expect(refused?.message).toContain('"verify": false');
		expect(refused?.details.tried).toEqual([
			"server/discover (MCP 2026-07-28)",
			"initialize (Streamable HTTP, then HTTP+SSE)",
			"tools/list",
		]);
		// Nothing was stored.
		const listed = await json<{ mcp_servers: unknown[] }>(api("/api/mcp-servers", { token: user.token }));
		expect(listed.mcp_servers).toEqual([]);
		// A real (fake) MCP server is registered; so is anything with verify: false.
		const server = fakeServer(() => ({ tools: [aTool("echo")] }));
		await createMcpServer(env, user.id, { name: "ok", url: URL_ }, { fetch: server.fetch });
		expect(server.calls).toContain("tools/list");
		await createMcpServer(env, user.id, { name: "later", url: URL_, verify: false }, { fetch: page });
	});

	it("over the API: an unreachable server is a 422 mcp_unreachable, not a 201", async () => {
		const user = await newUser();
		// Nothing listens on the test's network: the check fails, and says so.
		const res = await api("/api/mcp-servers", { token: user.token, body: { name: "nowhere", url: URL_ } });
		expect(res.status).toBe(422);
		const { error } = await json<{ error: { code: string; message: string; details: { url: string } } }>(res);
		expect(error.code).toBe("mcp_unreachable");
		expect(error.details.url).toBe(URL_);
	});
});
