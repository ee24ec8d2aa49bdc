/**
 * Talking to an MCP server a user connected, through the official SDK's client: Streamable
 * HTTP first, and the older HTTP+SSE transport for servers that only speak that. Every
 * request (the SSE stream and the endpoint it announces included) passes the same network
 * guard as `http_fetch`.
 */
import { extractWWWAuthenticateParams } from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { z } from "zod";
import { checkUrl } from "../tools/net-guard.ts";
import { isOpaque, networkErrorText } from "../tools/network-error.ts";
import { zodJsonSchemaValidator } from "./json-schema.ts";

/** How long connecting (the transport's start, e.g. an SSE server's `endpoint` event, and initialize) may take; listing all pages, the same. */
export const MCP_CONNECT_TIMEOUT_MS = 10_000;
/** Tools listed per server at most (pages followed until then). */
export const MCP_MAX_TOOLS_PER_SERVER = 100;
/** `tools/list` pages followed per server at most (a server that pages on forever is cut off here). */
export const MCP_MAX_TOOL_PAGES = 20;
/** Bytes of one message from a server at most (a JSON answer, or one SSE event), counted before it is parsed. */
export const MCP_MAX_MESSAGE_BYTES = 1024 * 1024;

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

/**
 * The server answered 401: it wants a sign-in. Carries what its `WWW-Authenticate` said
 * (RFC 9728's `resource_metadata`, a `scope`), from which OAuth discovery starts.
 */
export class McpNeedsAuth extends McpUnavailable {
	constructor(
		readonly resourceMetadataUrl: string | undefined,
		readonly scope: string | undefined,
	) {
		super("the server answered 401 Unauthorized: it wants a sign-in");
		this.name = "McpNeedsAuth";
	}
}

/** The last 401 a connection got (its challenge), if any: how a run tells "sign in again" from "down". */
export class AuthWatch {
	challenge: McpNeedsAuth | undefined;
	see(response: Response): void {
		if (response.status !== 401) return;
		const { resourceMetadataUrl, scope } = extractWWWAuthenticateParams(response);
		this.challenge = new McpNeedsAuth(resourceMetadataUrl?.href, scope);
	}
}

/** A phase (connect, list, call) that took longer than its deadline. */
export class McpTimeout extends McpUnavailable {
	constructor(message: string) {
		super(message);
		this.name = "McpTimeout";
	}
}

/** A message from the server over MCP_MAX_MESSAGE_BYTES: dropped unread. */
export class McpTooLarge extends McpUnavailable {
	constructor(readonly bytes = MCP_MAX_MESSAGE_BYTES) {
		super(`the server sent a message over ${bytes / (1024 * 1024)} MiB (${bytes} bytes); it was dropped unread`);
		this.name = "McpTooLarge";
	}
}

/** The run stopped (cancelled, out of time) while a phase was under way. */
export class McpStopped extends McpUnavailable {
	constructor(what: string, reason: unknown) {
		super(
			`${what} was stopped: ${typeof reason === "string" ? `the run was ${reason.replace(/_/g, " ")}` : "the run ran out of time"}`,
		);
		this.name = "McpStopped";
	}
}

/**
 * Aborts whatever is in flight on one connection when the server sends a message over the
 * byte cap (the SDK's transports would otherwise only report it to `onerror`, leaving the
 * request waiting). Each trip arms a fresh signal for the requests that follow.
 */
export class Oversize {
	#controller = new AbortController();
	get signal(): AbortSignal {
		return this.#controller.signal;
	}
	trip(error: McpTooLarge): void {
		const tripped = this.#controller;
		this.#controller = new AbortController();
		tripped.abort(error);
	}
}

/** A client with its connection's byte-cap tripwire and the 401s it met. */
export class McpClient extends Client {
	constructor(
		readonly oversize: Oversize,
		readonly auth: AuthWatch = new AuthWatch(),
	) {
		// zod's JSON Schema reader: the default (Ajv) compiles schemas with `new Function`, which Workers forbid.
		super({ name: "sparky", version: "0.1.0" }, { capabilities: {}, jsonSchemaValidator: zodJsonSchemaValidator });
	}
}

/**
 * Runs one MCP phase until it settles, `ms` pass or one of `signals` aborts (the run's: cancel,
 * its time limit; the connection's byte cap), whichever comes first. `work` gets the combined
 * signal (the SDK then cancels its request too); a phase that never settles is left behind.
 */
export async function bounded<T>(
	what: string,
	ms: number,
	signals: readonly (AbortSignal | undefined)[],
	work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
	const timeout = AbortSignal.timeout(Math.max(1, ms));
	const sources = [...signals.filter((s): s is AbortSignal => s !== undefined), timeout];
	const signal = AbortSignal.any(sources);
	const why = (): Error => {
		const source = sources.find((s) => s.aborted);
		if (source === timeout || !source) return new McpTimeout(`${what} timed out after ${Math.round(ms / 100) / 10} s`);
		if (source.reason instanceof McpTooLarge) return source.reason;
		return new McpStopped(what, source.reason);
	};
	if (signal.aborted) throw why();
	let onAbort = () => {};
	const stopped = new Promise<never>((_, reject) => {
		onAbort = () => reject(why());
		signal.addEventListener("abort", onAbort, { once: true });
	});
	try {
		return await Promise.race([work(signal), stopped]);
	} finally {
		signal.removeEventListener("abort", onAbort);
	}
}

/** `fetch` that refuses any URL the network guard refuses, and never follows redirects by itself. */
export function guardedFetch(
	allow: readonly string[],
	base: typeof fetch = fetch,
	oversize?: Oversize,
	auth?: AuthWatch,
): typeof fetch {
	const doFetch = base;
	return (async (input: RequestInfo | URL, init?: RequestInit) => {
		const href = input instanceof Request ? input.url : String(input);
		const checked = checkUrl(href, allow);
		if (!checked.ok) throw new McpUnavailable(`refused to connect to ${href}: ${checked.reason}`);
		const response = await doFetch(input, { ...init, redirect: "manual" });
		auth?.see(response);
		return oversize ? capMessages(response, MCP_MAX_MESSAGE_BYTES, oversize) : response;
	}) as typeof fetch;
}

/**
 * The response with its body cut off (an error) once one message passes `cap` bytes, before
 * anything parses it: the whole body of a JSON answer; each event of an SSE stream (bytes
 * since the last blank line). Tripping `oversize` fails the request waiting for it. A byte
 * count, not an SSE parser: the SDK needs the bytes as they came (it parses them itself, with
 * eventsource-parser), and a parser would only see a message once it is whole.
 */
export function capMessages(response: Response, cap: number, oversize?: Oversize): Response {
	// Null-body statuses can't be rebuilt with a body (and carry no message anyway).
	if (!response.body || [101, 204, 205, 304].includes(response.status)) return response;
	const sse = (response.headers.get("content-type") ?? "").toLowerCase().includes("text/event-stream");
	let size = 0;
	let lineLength = 0;
	const capped = response.body.pipeThrough(
		new TransformStream<Uint8Array, Uint8Array>({
			transform(chunk, controller) {
				if (!sse) size += chunk.byteLength;
				else {
					for (const byte of chunk) {
						size++;
						if (byte === 10) {
							// A blank line ends an event: the next one counts from zero.
							if (lineLength === 0) size = 0;
							lineLength = 0;
						} else if (byte !== 13) lineLength++;
					}
				}
				if (size > cap) {
					const error = new McpTooLarge(cap);
					oversize?.trip(error);
					controller.error(error);
					return;
				}
				controller.enqueue(chunk);
			},
		}),
	);
	return new Response(capped, { status: response.status, statusText: response.statusText, headers: response.headers });
}

/**
 * Connects (Streamable HTTP, else HTTP+SSE) and returns an initialized client. Each attempt,
 * the transport's start included (an SSE server that never sends its `endpoint` event), has
 * `timeoutMs` and stops when `signal` aborts.
 */
export async function connectMcp(options: McpConnectOptions): Promise<McpClient> {
	const checked = checkUrl(options.url, options.allow);
	if (!checked.ok) throw new McpUnavailable(`refused to connect to ${options.url}: ${checked.reason}`);
	const url = checked.url;
	const oversize = new Oversize();
	const auth = new AuthWatch();
	const fetchImpl = guardedFetch(options.allow, options.fetch ?? fetch, oversize, auth);
	const requestInit = { headers: options.headers };
	const timeout = options.timeoutMs ?? MCP_CONNECT_TIMEOUT_MS;
	const connect = (client: McpClient, transport: Transport) =>
		bounded("connecting", timeout, [options.signal, oversize.signal], (signal) =>
			client.connect(transport, { timeout, signal }),
		);

	const streamable = new McpClient(oversize, auth);
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
	const sse = new McpClient(oversize, auth);
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
