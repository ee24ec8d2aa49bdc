// An MCP server that speaks only the stateless 2026-07-28 revision: the official 2.x SDK's
// `createMcpHandler` with `legacy: "reject"` (no initialize, no sessions; a 2025 client gets
// -32022), served from node:http. It remembers the method and protocol headers of every POST.
import type { IncomingMessage, ServerResponse } from "node:http";
import { createMcpHandler, McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";

export interface SeenRequest {
	method: string;
	protocolVersion: string | undefined;
	sessionId: string | undefined;
	authorization: string | undefined;
}

/** A fresh 2.x server per request, with two tools (`caller` names who called: `who`). */
function modernServer(who: string): McpServer {
	const server = new McpServer({ name: "modern-only", version: "1.0.0" });
	server.registerTool(
		"add",
		{
			description: "Adds two numbers",
			inputSchema: z.object({ a: z.number(), b: z.number() }),
			annotations: { readOnlyHint: true },
		},
		async ({ a, b }) => ({ content: [{ type: "text", text: `sum ${a + b}` }] }),
	);
	server.registerTool(
		"whoami",
		{ description: "Says who is calling", inputSchema: z.object({ greeting: z.string().optional() }) },
		async ({ greeting }) => ({ content: [{ type: "text", text: `${greeting ?? "hello"}, ${who} (stateless)` }] }),
	);
	return server;
}

/**
 * A node:http handler serving the 2026-07-28 revision only. `who` names the caller for `whoami`
 * (the OAuth server passes the token's client id); `seen` collects what each POST carried.
 */
export function modernHandler(
	seen: SeenRequest[] = [],
	who: (req: IncomingMessage) => string = () => "anonymous",
): (req: IncomingMessage, res: ServerResponse, parsedBody?: unknown) => Promise<void> {
	return async (req, res, parsedBody) => {
		let body = "";
		if (parsedBody === undefined) for await (const chunk of req) body += chunk;
		else body = JSON.stringify(parsedBody);
		const header = (name: string) =>
			typeof req.headers[name] === "string" ? (req.headers[name] as string) : undefined;
		if (req.method === "POST") {
			let method = "?";
			try {
				method = (JSON.parse(body) as { method?: string }).method ?? "(response)";
			} catch {
				// not JSON
			}
			seen.push({
				method,
				protocolVersion: header("mcp-protocol-version"),
				sessionId: header("mcp-session-id"),
				authorization: header("authorization"),
			});
		}
		const handler = createMcpHandler(() => modernServer(who(req)), { legacy: "reject" });
		const headers = new Headers();
		for (const [name, value] of Object.entries(req.headers)) if (typeof value === "string") headers.set(name, value);
		const request = new Request(`http://${req.headers.host ?? "127.0.0.1"}${req.url ?? "/"}`, {
			method: req.method,
			headers,
			body: req.method === "POST" ? body : undefined,
		});
		const response = await handler.fetch(request);
		res.writeHead(response.status, Object.fromEntries(response.headers));
		if (!response.body) return void res.end();
		const reader = response.body.getReader();
		for (;;) {
			const { done, value } = await reader.read();
			if (done) break;
			res.write(value);
		}
		res.end();
		await handler.close();
	};
}
