/**
 * Talking to an MCP server a user connected, through the official SDK's client: Streamable
 * HTTP first, and the older HTTP+SSE transport for servers that only speak that. Every
 * request (the SSE stream and the endpoint it announces included) passes the same network
 * guard as `http_fetch`.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { z } from "zod";
import { checkUrl } from "../tools/net-guard.ts";
import { isOpaque, networkErrorText } from "../tools/network-error.ts";
import { zodJsonSchemaValidator } from "./json-schema.ts";

/** How long connecting (initialize) and listing tools may take. */
export const MCP_CONNECT_TIMEOUT_MS = 10_000;
/** Tools listed per server at most (pages followed until then). */
export const MCP_MAX_TOOLS_PER_SERVER = 100;

export interface McpConnectOptions {
	url: string;
	headers: Record<string, string>;
	/** host:port pairs exempt from the private-address rule (SPARKY_HTTP_FETCH_ALLOW). */
	allow: readonly string[];
	fetch?: typeof fetch;
	timeoutMs?: number;
	signal?: AbortSignal;
}

/** A tool as a server lists it; validated here, whatever the server sent. */
export const RemoteToolSchema = z.looseObject({
	name: z.string().min(1).max(128),
	title: z.string().max(500).optional(),
	description: z.string().optional(),
	inputSchema: z.looseObject({ type: z.literal("object") }),
	annotations: z.looseObject({ readOnlyHint: z.boolean().optional() }).optional(),
});
export type RemoteTool = z.infer<typeof RemoteToolSchema>;

/** An expected failure to reach or use a server: its message is safe to show (no header values). */
export class McpUnavailable extends Error {
	constructor(message: string) {
		super(message);
		this.name = "McpUnavailable";
	}
}

/** `fetch` that refuses any URL the network guard refuses, and never follows redirects by itself. */
export function guardedFetch(allow: readonly string[], base: typeof fetch = fetch): typeof fetch {
	const doFetch = base;
	return (async (input: RequestInfo | URL, init?: RequestInit) => {
		const href = input instanceof Request ? input.url : String(input);
		const checked = checkUrl(href, allow);
		if (!checked.ok) throw new McpUnavailable(`refused to connect to ${href}: ${checked.reason}`);
		return doFetch(input, { ...init, redirect: "manual" });
	}) as typeof fetch;
}

/** Connects (Streamable HTTP, else HTTP+SSE) and returns an initialized client. */
export async function connectMcp(options: McpConnectOptions): Promise<Client> {
	const checked = checkUrl(options.url, options.allow);
	if (!checked.ok) throw new McpUnavailable(`refused to connect to ${options.url}: ${checked.reason}`);
	const url = checked.url;
	const fetchImpl = guardedFetch(options.allow, options.fetch ?? fetch);
	const requestInit = { headers: options.headers };
	const timeout = options.timeoutMs ?? MCP_CONNECT_TIMEOUT_MS;
	const requestOptions = { timeout, signal: options.signal };

	const streamable = newClient();
	try {
		await streamable.connect(new StreamableHTTPClientTransport(url, { fetch: fetchImpl, requestInit }), requestOptions);
		return streamable;
	} catch (error) {
		await streamable.close().catch(() => {});
		// Only an HTTP 4xx to the first POST (StreamableHTTPError's `code`) says "not Streamable HTTP".
		const status = (error as { code?: unknown }).code;
		const notStreamable = typeof status === "number" && status >= 400 && status < 500;
		if (!notStreamable || options.signal?.aborted) throw unavailable(url, error);
	}
	const sse = newClient();
	try {
		await sse.connect(
			new SSEClientTransport(url, { fetch: fetchImpl, requestInit, eventSourceInit: { fetch: fetchImpl } }),
			requestOptions,
		);
		return sse;
	} catch (error) {
		await sse.close().catch(() => {});
		throw unavailable(url, error);
	}
}

/** The server's tools (validated; ones that don't validate are left out). */
export async function listRemoteTools(
	client: Client,
	options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<RemoteTool[]> {
	const tools: RemoteTool[] = [];
	let cursor: string | undefined;
	do {
		const page = await client.listTools(cursor ? { cursor } : undefined, {
			timeout: options.timeoutMs ?? MCP_CONNECT_TIMEOUT_MS,
			signal: options.signal,
		});
		for (const raw of page.tools) {
			const parsed = RemoteToolSchema.safeParse(raw);
			if (parsed.success) tools.push(parsed.data);
		}
		cursor = page.nextCursor;
	} while (cursor && tools.length < MCP_MAX_TOOLS_PER_SERVER);
	return tools.slice(0, MCP_MAX_TOOLS_PER_SERVER);
}

function newClient(): Client {
	// zod's JSON Schema reader: the default (Ajv) compiles schemas with `new Function`, which Workers forbid.
	return new Client(
		{ name: "sparky", version: "0.1.0" },
		{ capabilities: {}, jsonSchemaValidator: zodJsonSchemaValidator },
	);
}

function unavailable(url: URL, error: unknown): McpUnavailable {
	if (error instanceof McpUnavailable) return error;
	return new McpUnavailable(
		`could not connect to the MCP server at ${url.origin}${url.pathname}: ${networkErrorText(error, url.host, 500)}`,
	);
}

export function messageOf(error: unknown): string {
	const text = error instanceof Error ? error.message : String(error);
	if (isOpaque(text)) return "could not reach the server (connection refused, unknown host or no network)";
	return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}
