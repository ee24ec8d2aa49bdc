/**
 * Talking to an MCP server a user connected, in whichever revision it speaks: the stateless
 * 2026-07-28 revision (stateless.ts) when its answer to `server/discover` says so, else the
 * 2025 ones through the official 1.x SDK's client, Streamable HTTP first and the older HTTP+SSE
 * transport for servers that only speak that. Every request (the SSE stream and the endpoint it
 * announces included) passes the same network guard as `http_fetch`.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { z } from "zod";
import { checkUrl } from "../tools/net-guard.ts";
import { isOpaque, networkErrorText } from "../tools/network-error.ts";
import { zodJsonSchemaValidator } from "./json-schema.ts";
import { discoverRevision, StatelessClient } from "./stateless.ts";
import { AuthWatch, bounded, guardedFetch, type McpClient, McpTooLarge, McpUnavailable, Oversize } from "./wire.ts";

export {
	AuthWatch,
	bounded,
	capMessages,
	guardedFetch,
	MCP_MAX_MESSAGE_BYTES,
	type McpClient,
	McpNeedsAuth,
	McpStopped,
	McpTimeout,
	McpTooLarge,
	McpUnavailable,
	Oversize,
} from "./wire.ts";

/** How long connecting (the transport's start, e.g. an SSE server's `endpoint` event, and initialize) may take; listing all pages, the same. */
export const MCP_CONNECT_TIMEOUT_MS = 10_000;
/** Tools listed per server at most (pages followed until then). */
export const MCP_MAX_TOOLS_PER_SERVER = 100;
/** `tools/list` pages followed per server at most (a server that pages on forever is cut off here). */
export const MCP_MAX_TOOL_PAGES = 20;
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

/** A client of the 1.x SDK (the 2025 revisions: initialize, a session when the server makes one), with its connection's byte-cap tripwire and the 401s it met. */
export class LegacyClient extends Client implements McpClient {
	constructor(
		readonly oversize: Oversize,
		readonly auth: AuthWatch = new AuthWatch(),
	) {
		// zod's JSON Schema reader: the default (Ajv) compiles schemas with `new Function`, which Workers forbid.
		super({ name: "sparky", version: "0.1.0" }, { capabilities: {}, jsonSchemaValidator: zodJsonSchemaValidator });
	}
}

/**
 * Connects and returns a client for the revision the server speaks: `server/discover` first
 * (stateless.ts's `discoverRevision`), and for a server that doesn't answer it as a 2026-07-28
 * server, `initialize` over Streamable HTTP, else HTTP+SSE. Each attempt, the transport's start
 * included (an SSE server that never sends its `endpoint` event), has `timeoutMs` and stops
 * when `signal` aborts.
 */
export async function connectMcp(options: McpConnectOptions): Promise<McpClient> {
	const checked = checkUrl(options.url, options.allow);
	if (!checked.ok) throw new McpUnavailable(`refused to connect to ${options.url}: ${checked.reason}`);
	const url = checked.url;
	const oversize = new Oversize();
	const auth = new AuthWatch();
	const fetchImpl = guardedFetch(options.allow, options.fetch ?? fetch, oversize, auth);
	const timeout = options.timeoutMs ?? MCP_CONNECT_TIMEOUT_MS;
	const phase = <T>(work: (signal: AbortSignal) => Promise<T>) =>
		bounded("connecting", timeout, [options.signal, oversize.signal], work);

	const stateless = new StatelessClient(url, options.headers, fetchImpl, oversize, auth);
	const revision = await phase((signal) => discoverRevision(stateless, signal)).catch((error: unknown) => {
		// No discover result is that big: whatever answered, it wasn't a 2026-07-28 server.
		if (error instanceof McpTooLarge) return "legacy";
		throw auth.challenge ?? unavailable(url, error);
	});
	if (revision === "stateless") return stateless;

	const requestInit = { headers: options.headers };
	const connect = (client: LegacyClient, transport: Transport) =>
		phase((signal) => client.connect(transport, { timeout, signal }));
	const streamable = new LegacyClient(oversize, auth);
	try {
		await connect(streamable, new StreamableHTTPClientTransport(url, { fetch: fetchImpl, requestInit }));
		return streamable;
	} catch (error) {
		await streamable.close().catch(() => {});
		// A 401 is a sign-in to do, not another transport to try.
		if (auth.challenge) throw auth.challenge;
		// Only an HTTP 4xx to the first POST (StreamableHTTPError's `code`) says "not Streamable HTTP".
		const status = (error as { code?: unknown }).code;
		const notStreamable = typeof status === "number" && status >= 400 && status < 500;
		if (!notStreamable || options.signal?.aborted) throw unavailable(url, error);
	}
	const sse = new LegacyClient(oversize, auth);
	try {
		await connect(
			sse,
			new SSEClientTransport(url, { fetch: fetchImpl, requestInit, eventSourceInit: { fetch: fetchImpl } }),
		);
		return sse;
	} catch (error) {
		await sse.close().catch(() => {});
		throw auth.challenge ?? unavailable(url, error);
	}
}

/** A server's listed tools (sorted by name); `stopped` says why listing ended before the server's last page. */
export interface RemoteToolList {
	tools: RemoteTool[];
	stopped?: string;
	/** How long the list stays fresh, when the server says (the 2026-07-28 revision's `ttlMs`; the smallest over its pages). */
	ttlMs?: number;
}

/** `ttlMs` of a list result, when it is a sane number of milliseconds. */
function ttlOf(page: unknown): number | undefined {
	const ttl = (page as { ttlMs?: unknown }).ttlMs;
	return typeof ttl === "number" && Number.isFinite(ttl) && ttl >= 0 ? Math.floor(ttl) : undefined;
}

/** Tools in one order whatever order the server sent them in, so a prompt (and its cache) stays the same. */
const byName = (a: RemoteTool, b: RemoteTool) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * The server's tools (validated; ones that don't validate are left out): pages followed until
 * MCP_MAX_TOOLS_PER_SERVER tools or MCP_MAX_TOOL_PAGES pages, all of it within `timeoutMs`.
 * Past the page cap, listing stops: what was listed is kept (`stopped` says so), and a server
 * that listed no tool by then is unavailable.
 */
export async function listRemoteTools(
	client: McpClient,
	options: { timeoutMs?: number; signal?: AbortSignal; maxPages?: number } = {},
): Promise<RemoteToolList> {
	const timeout = options.timeoutMs ?? MCP_CONNECT_TIMEOUT_MS;
	const maxPages = options.maxPages ?? MCP_MAX_TOOL_PAGES;
	const tools: RemoteTool[] = [];
	let cursor: string | undefined;
	let pages = 0;
	let ttlMs: number | undefined;
	await bounded("listing tools", timeout, [options.signal], async (signal) => {
		do {
			if (pages >= maxPages) return;
			const page = await client.listTools(cursor ? { cursor } : undefined, {
				timeout,
				signal: AbortSignal.any([signal, client.oversize.signal]),
			});
			pages++;
			const ttl = ttlOf(page);
			if (ttl !== undefined) ttlMs = Math.min(ttl, ttlMs ?? ttl);
			for (const raw of page.tools) {
				const parsed = RemoteToolSchema.safeParse(raw);
				if (parsed.success) tools.push(parsed.data);
			}
			cursor = page.nextCursor;
		} while (cursor && tools.length < MCP_MAX_TOOLS_PER_SERVER);
		cursor = undefined;
	});
	const list = tools.slice(0, MCP_MAX_TOOLS_PER_SERVER).sort(byName);
	if (!cursor || tools.length >= MCP_MAX_TOOLS_PER_SERVER)
		return { tools: list, ...(ttlMs === undefined ? {} : { ttlMs }) };
	const stopped = `its tool list went on past ${maxPages} pages (${list.length} tools by then); Sparky stopped listing`;
	if (list.length === 0) throw new McpUnavailable(stopped);
	return { tools: list, stopped };
}

/** One tools/call, within `timeoutMs` and the run's signal; a result over the byte cap throws McpTooLarge. */
export function callRemoteTool(
	client: McpClient,
	params: { name: string; arguments: Record<string, unknown> },
	options: { timeoutMs: number; signal?: AbortSignal },
): Promise<unknown> {
	return bounded(`calling ${params.name}`, options.timeoutMs, [options.signal, client.oversize.signal], (signal) =>
		client.callTool(params, undefined, { timeout: options.timeoutMs, signal }),
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
