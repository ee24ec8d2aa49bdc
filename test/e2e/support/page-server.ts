// A tiny local web server for the agent's http_fetch tool to read (wrangler dev is told to
// allow exactly this host:port with SPARKY_HTTP_FETCH_ALLOW). `/slow.html?key=K` holds its
// answer until the test releases K (POST /release?key=K), so a task stays mid-run on cue.
// `/mcp` is the smallest MCP server (Streamable HTTP, JSON answers, one `echo` tool).
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** Longest a slow page is held: below http_fetch's own 10 s timeout. */
const MAX_HOLD_MS = 8_000;

export interface PageServer {
	url: string;
	host: string;
	close(): Promise<void>;
}

export async function startPageServer(): Promise<PageServer> {
	const released = new Set<string>();
	const waiting = new Map<string, (() => void)[]>();
	const release = (key: string) => {
		released.add(key);
		for (const wake of waiting.get(key) ?? []) wake();
		waiting.delete(key);
	};
	const page = (title: string, body: string) =>
		`<!doctype html><html><head><title>${title}</title></head><body><h1>${title}</h1><p>${body}</p></body></html>`;

	// The Authorization headers the MCP endpoint was sent (the page's settings test reads them).
	const auth: string[] = [];
	const server = createServer(async (req, res) => {
		const url = new URL(req.url ?? "/", "http://localhost");
		const key = url.searchParams.get("key") ?? "";
		if (req.method === "POST" && url.pathname === "/release") {
			release(key);
			res.writeHead(204).end();
			return;
		}
		if (url.pathname === "/page.html") {
			res.writeHead(200, { "Content-Type": "text/html" }).end(page("E2E page", "The secret word is pineapple."));
			return;
		}
		if (url.pathname === "/long.html") {
			const body = Array.from({ length: 120 }, (_, i) => `Line ${i + 1} of a long page.`).join(" ");
			res.writeHead(200, { "Content-Type": "text/html" }).end(page("Long page", body));
			return;
		}
		if (url.pathname === "/slow.html") {
			if (!released.has(key)) {
				await new Promise<void>((resolve) => {
					waiting.set(key, [...(waiting.get(key) ?? []), resolve]);
					setTimeout(resolve, MAX_HOLD_MS);
				});
			}
			res.writeHead(200, { "Content-Type": "text/html" }).end(page(`Slow page ${key}`, "Worth the wait."));
			return;
		}
		if (url.pathname === "/mcp") {
			await answerMcp(req, res, auth);
			return;
		}
		if (url.pathname === "/mcp-auth") {
			res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(auth));
			return;
		}
		res.writeHead(404).end("not found");
	});
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}`,
		host: `127.0.0.1:${port}`,
		close: () =>
			new Promise((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			}),
	};
}

/** JSON-RPC over one POST: initialize, tools/list; notifications get a 202. */
async function answerMcp(req: IncomingMessage, res: ServerResponse, auth: string[]): Promise<void> {
	if (req.method !== "POST") {
		res.writeHead(405).end();
		return;
	}
	if (req.headers.authorization) auth.push(req.headers.authorization);
	let body = "";
	for await (const chunk of req) body += chunk;
	const message = JSON.parse(body) as { id?: number | string; method: string; params?: { protocolVersion?: string } };
	if (message.id === undefined) {
		res.writeHead(202).end();
		return;
	}
	const result =
		message.method === "initialize"
			? {
					protocolVersion: message.params?.protocolVersion ?? "2025-06-18",
					capabilities: { tools: {} },
					serverInfo: { name: "e2e-mcp", version: "1.0.0" },
				}
			: message.method === "tools/list"
				? {
						tools: [
							{
								name: "echo",
								description: "Says back what it is given.",
								inputSchema: { type: "object", properties: { message: { type: "string" } } },
								annotations: { readOnlyHint: true },
							},
						],
					}
				: undefined;
	const answer = result
		? { jsonrpc: "2.0", id: message.id, result }
		: { jsonrpc: "2.0", id: message.id, error: { code: -32601, message: "method not found" } };
	res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(answer));
}
