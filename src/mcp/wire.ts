/**
 * What both revisions of MCP share on the wire, whichever client speaks it (the 1.x SDK's for
 * the 2025 revisions, stateless.ts for 2026-07-28): the errors a connection ends with, the
 * guarded fetch every request goes through, the byte cap on what comes back, and the
 * deadline each phase runs under.
 */
import { extractWWWAuthenticateParams } from "@modelcontextprotocol/sdk/client/auth.js";
import { checkUrl } from "../tools/net-guard.ts";

/** Bytes of one message from a server at most (a JSON answer, or one SSE event), counted before it is parsed. */
export const MCP_MAX_MESSAGE_BYTES = 1024 * 1024;

/** A connection to a server, whichever revision it speaks: what listing and calling need. */
export interface McpClient {
	/** The connection's byte-cap tripwire. */
	readonly oversize: Oversize;
	/** The last 401 the connection met. */
	readonly auth: AuthWatch;
	listTools(
		params: { cursor?: string } | undefined,
		options: { timeout: number; signal: AbortSignal },
	): Promise<{ tools: unknown[]; nextCursor?: string }>;
	callTool(
		params: { name: string; arguments: Record<string, unknown> },
		resultSchema: undefined,
		options: { timeout: number; signal: AbortSignal },
	): Promise<unknown>;
	close(): Promise<void>;
}

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
