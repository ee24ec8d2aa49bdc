/**
 * MCP's stateless revision, 2026-07-28, written here because the 1.x SDK speaks only the 2025
 * revisions (initialize, sessions) and the 2.x SDK that speaks this one costs the bundle ~64 KiB
 * gzipped (docs/mcp.md). Only what Sparky uses: `server/discover`, `tools/list`, `tools/call`.
 * Each request is its own POST, with no session and no initialize: the revision, Sparky's name
 * and its (empty) capabilities ride in every request's `_meta`, mirrored into the
 * `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name` headers. The answer is one JSON object or
 * an SSE stream that ends with it; every answer is validated with zod.
 */
import { EventSourceParserStream } from "eventsource-parser/stream";
import { z } from "zod";
import type { AuthWatch, McpClient, Oversize } from "./wire.ts";
import { McpNeedsAuth, McpUnavailable } from "./wire.ts";

/** The revision this client speaks: the first without a handshake. */
export const STATELESS_REVISION = "2026-07-28";

/** The `_meta` every request carries (the 2026-07-28 request envelope). */
const ENVELOPE = {
	"io.modelcontextprotocol/protocolVersion": STATELESS_REVISION,
	"io.modelcontextprotocol/clientInfo": { name: "sparky", version: "0.1.0" },
	"io.modelcontextprotocol/clientCapabilities": {},
};

/** JSON-RPC's "the server doesn't speak the requested revision" (its `data.supported` lists the ones it does). */
export const UNSUPPORTED_PROTOCOL_VERSION = -32022;

const IdSchema = z.union([z.string(), z.number()]);
const ResultAnswerSchema = z.looseObject({ jsonrpc: z.literal("2.0"), id: IdSchema, result: z.looseObject({}) });
const ErrorAnswerSchema = z.looseObject({
	jsonrpc: z.literal("2.0"),
	id: IdSchema.nullish(),
	error: z.looseObject({ code: z.number().int(), message: z.string(), data: z.unknown().optional() }),
});
type Answer =
	| { id: string | number; result: Record<string, unknown>; error?: undefined }
	| { id?: string | number | null; error: z.infer<typeof ErrorAnswerSchema>["error"]; result?: undefined };

export const DiscoverResultSchema = z.looseObject({
	supportedVersions: z.array(z.string()),
	capabilities: z.looseObject({}),
});
const ToolsPageSchema = z.looseObject({ tools: z.array(z.unknown()), nextCursor: z.string().optional() });
const UnsupportedDataSchema = z.looseObject({ supported: z.array(z.string()) });

/** A JSON-RPC error the server answered (with `status`, the HTTP status it came with). */
export class McpRpcError extends McpUnavailable {
	constructor(
		readonly code: number,
		text: string,
		readonly data: unknown,
		readonly status: number,
	) {
		super(`the server answered with MCP error ${code}: ${text}`);
		this.name = "McpRpcError";
	}
}

/** An HTTP answer that carries no JSON-RPC answer (a 404 page, a 400 with an empty body). */
export class McpHttpError extends McpUnavailable {
	constructor(
		readonly status: number,
		body: string,
	) {
		const excerpt = body.trim().slice(0, 200);
		super(`the server answered HTTP ${status} without an MCP answer${excerpt ? `: ${excerpt}` : ""}`);
		this.name = "McpHttpError";
	}
}

/** A header value as the Streamable HTTP binding wants it: plain when it is safe ASCII, else the base64 sentinel. */
export function headerValue(value: string): string {
	const plain =
		/^[\x20-\x7e]*$/.test(value) && value.trim() === value && !(value.startsWith("=?base64?") && value.endsWith("?="));
	if (plain) return value;
	const bytes = new TextEncoder().encode(value);
	return `=?base64?${btoa(String.fromCharCode(...bytes))}?=`;
}

/** A connection to a server on the 2026-07-28 revision: nothing to open, nothing to close but what is in flight. */
export class StatelessClient implements McpClient {
	#id = 0;
	#closed = new AbortController();

	constructor(
		private readonly url: URL,
		private readonly headers: Record<string, string>,
		private readonly fetchImpl: typeof globalThis.fetch,
		readonly oversize: Oversize,
		readonly auth: AuthWatch,
	) {}

	/** One request; its `result` when the server answered with one (complete), else it throws. */
	async request(
		method: string,
		params: Record<string, unknown>,
		signal: AbortSignal,
	): Promise<Record<string, unknown>> {
		if (this.#closed.signal.aborted) throw this.#closed.signal.reason;
		const id = ++this.#id;
		const headers = new Headers(this.headers);
		headers.set("content-type", "application/json");
		headers.set("accept", "application/json, text/event-stream");
		headers.set("mcp-protocol-version", STATELESS_REVISION);
		headers.set("mcp-method", method);
		if (method === "tools/call" && typeof params.name === "string") headers.set("mcp-name", headerValue(params.name));
		const response = await this.fetchImpl(this.url, {
			method: "POST",
			headers,
			body: JSON.stringify({ jsonrpc: "2.0", id, method, params: { ...params, _meta: ENVELOPE } }),
			signal: AbortSignal.any([signal, this.#closed.signal]),
		});
		if (response.status === 401) {
			await response.body?.cancel().catch(() => {});
			throw this.auth.challenge ?? new McpNeedsAuth(undefined, undefined);
		}
		const { answer, text } = await readAnswer(response, id);
		if (answer?.error)
			throw new McpRpcError(answer.error.code, answer.error.message, answer.error.data, response.status);
		if (!answer || !response.ok) throw new McpHttpError(response.status, text);
		const kind = answer.result.resultType ?? "complete";
		if (kind !== "complete")
			throw new McpUnavailable(
				`the server answered ${method} with a "${String(kind)}" result, which Sparky can't act on`,
			);
		return answer.result;
	}

	async listTools(
		params: { cursor?: string } | undefined,
		options: { signal: AbortSignal },
	): Promise<{ tools: unknown[]; nextCursor?: string }> {
		const result = await this.request("tools/list", params?.cursor ? { cursor: params.cursor } : {}, options.signal);
		const page = ToolsPageSchema.safeParse(result);
		if (!page.success) throw new McpUnavailable("the server's tools/list answer is not a tool list");
		return page.data;
	}

	callTool(
		params: { name: string; arguments: Record<string, unknown> },
		_resultSchema: undefined,
		options: { signal: AbortSignal },
	): Promise<unknown> {
		return this.request("tools/call", { name: params.name, arguments: params.arguments }, options.signal);
	}

	async close(): Promise<void> {
		this.#closed.abort(new McpUnavailable("the connection was closed"));
	}
}

/** Whether a revision is one of the stateless ones (2026-07-28 and later; revisions are dates). */
const isStateless = (revision: string) => revision >= STATELESS_REVISION;

/**
 * Which revision the server speaks, from its answer to `server/discover` (the revision's way to
 * tell, and what its Streamable HTTP binding prescribes: a modern request first, and the
 * `initialize` handshake when the answer isn't a modern one). A discover result naming
 * 2026-07-28 says "stateless"; any other answer (an HTTP error, a JSON-RPC error, a result of
 * another shape: what a 2025 server says to a method it doesn't know before `initialize`) says
 * "legacy". An unsupported-version error that names only other stateless revisions is an error,
 * as are a 401 (a sign-in, not another revision to try) and a server that can't be reached,
 * which `initialize` wouldn't reach either.
 */
export async function discoverRevision(client: StatelessClient, signal: AbortSignal): Promise<"stateless" | "legacy"> {
	try {
		const result = DiscoverResultSchema.safeParse(await client.request("server/discover", {}, signal));
		return result.success && result.data.supportedVersions.includes(STATELESS_REVISION) ? "stateless" : "legacy";
	} catch (error) {
		if (error instanceof McpRpcError) {
			const data = UnsupportedDataSchema.safeParse(error.data);
			const supported = data.success ? data.data.supported : [];
			if (error.code === UNSUPPORTED_PROTOCOL_VERSION && supported.length > 0 && supported.every(isStateless))
				throw new McpUnavailable(
					`the server speaks only MCP ${supported.join(", ")}; Sparky speaks ${STATELESS_REVISION} and the 2025 revisions`,
				);
			return "legacy";
		}
		if (error instanceof McpHttpError) return "legacy";
		throw error;
	}
}

/**
 * The JSON-RPC answer to request `id` in `response` (a JSON body, or the SSE stream's event
 * carrying it; notifications before it are skipped), and the body's text when it held none
 * (for the error; only a JSON or plain-text body is read, within the byte cap).
 */
async function readAnswer(response: Response, id: number): Promise<{ answer?: Answer; text: string }> {
	const type = (response.headers.get("content-type") ?? "").toLowerCase();
	const ours = (answer: Answer | undefined) =>
		answer && (answer.id === id || (answer.error && answer.id == null)) ? answer : undefined;
	if (type.includes("text/event-stream") && response.body) {
		const reader = response.body
			.pipeThrough(new TextDecoderStream())
			.pipeThrough(new EventSourceParserStream())
			.getReader();
		try {
			for (;;) {
				const { done, value } = await reader.read();
				if (done) throw new McpUnavailable("the server's event stream ended without an answer");
				const answer = value.event && value.event !== "message" ? undefined : ours(parseAnswer(value.data));
				if (answer) return { answer, text: "" };
			}
		} finally {
			await reader.cancel().catch(() => {});
		}
	}
	if (!type.includes("json") && !type.includes("text/plain")) {
		await response.body?.cancel().catch(() => {});
		return { text: "" };
	}
	const text = await response.text();
	return { answer: ours(parseAnswer(text)), text };
}

function parseAnswer(text: string): Answer | undefined {
	try {
		const json: unknown = JSON.parse(text);
		const result = ResultAnswerSchema.safeParse(json);
		if (result.success) return { id: result.data.id, result: result.data.result };
		const error = ErrorAnswerSchema.safeParse(json);
		return error.success ? { id: error.data.id, error: error.data.error } : undefined;
	} catch {
		return undefined;
	}
}
