// A fake LLM provider for tests: a Node HTTP server that speaks the streaming wire formats of
// OpenAI chat completions and Anthropic messages, so the real AI SDK adapters can be driven
// end to end without a network or a real model. Started by test/support/global-setup.ts (in
// Node, not workerd); tests reach it through `inject("fakeLlmUrl")`.
//
// Routes (each provider route also works under a `/t/<tag>` prefix, which tags the recorded
// request so concurrent tests can find their own):
//   POST [/t/<tag>]/openai/v1/chat/completions   OpenAI chat completions, `stream: true` only
//   POST [/t/<tag>]/anthropic/v1/messages        Anthropic messages, `stream: true` only
//   GET  /__requests[?tag=<tag>]                 every recorded request, oldest first
//   POST /__reset[?tag=<tag>]                    forgets recorded requests
//
// What a call does is chosen by the requested model (a "script") and by the conversation so far:
//   tool-then-answer         no tool result yet: reasoning + a `list_files` call with `{}`;
//                            after the tool result: text quoting the files and sizes it was given
//   rate-limited             HTTP 429 with `retry-after` and the provider's JSON error body
//   midstream-error          streams some text, then the provider's in-stream error (Anthropic
//                            `event: error` overloaded_error; OpenAI an `error` chunk, server_error)
//   midstream-error-untyped  OpenAI only: an in-stream error with a numeric `code` (502) and no
//                            `type`, as OpenRouter-style gateways send it
//   truncated                streams some text, then the response ends cleanly without the
//                            provider's end-of-message signal (finish_reason / message_stop)
//   connection-reset         streams some text, then the socket is destroyed mid-response
//   bad-key                  HTTP 401 (OpenAI's message echoes the key masked, as OpenAI does)
//   echo                     OpenAI only: text, the start of the last user message (whitespace
//                            folded), at most 1,200 characters and max_tokens × 3 (a summary
//                            asked for under a cap stays under it); usage counts the body
// Any other model is a 404 in the provider's error format. Everything is deterministic.

// Node's own type definitions are left out on purpose: they are global, and would let Worker
// code use Node-only APIs without `tsc` noticing. This is the slice of node:http used here.
interface IncomingMessage extends AsyncIterable<Uint8Array> {
	url?: string;
	method?: string;
	headers: Record<string, string | string[] | undefined>;
}
interface ServerResponse {
	readonly headersSent: boolean;
	readonly socket: { destroy(): void } | null;
	writeHead(status: number, headers?: Record<string, string>): this;
	flushHeaders(): void;
	write(chunk: string): boolean;
	end(chunk?: string): this;
	destroy(): this;
}
interface HttpServer {
	listen(port: number, host: string, listening: () => void): this;
	once(event: "error", listener: (error: Error) => void): this;
	address(): { port: number } | string | null;
	closeAllConnections(): void;
	close(done: (error?: Error) => void): this;
}
interface NodeHttp {
	createServer(handler: (req: IncomingMessage, res: ServerResponse) => void): HttpServer;
}

declare module "vitest" {
	export interface ProvidedContext {
		/** Base URL of the fake LLM server, e.g. http://127.0.0.1:41234 (no trailing slash). */
		fakeLlmUrl: string;
	}
}

export type FakeProvider = "openai" | "anthropic";

export interface RecordedRequest {
	/** Order of arrival over the server's life (1, 2, …). */
	seq: number;
	/** The `/t/<tag>` prefix of the URL, or null. */
	tag: string | null;
	provider: FakeProvider;
	method: string;
	/** Path without the tag prefix, e.g. /openai/v1/chat/completions. */
	path: string;
	/** Lower-cased header names; credentials replaced by `[redacted N chars]`. */
	headers: Record<string, string>;
	body: unknown;
}

export interface FakeLlmServer {
	url: string;
	requests: RecordedRequest[];
	close(): Promise<void>;
}

/** Usage each step reports, so tests can check the numbers reach the outcome. */
export const FAKE_USAGE = {
	/** 64 of its input tokens are read from the provider's prompt cache; 18 of its output tokens reasoned. */
	toolStep: { input: 120, output: 30, cached: 64 },
	answerStep: { input: 200, output: 25 },
} as const;

export const FAKE_IDS = { openaiToolCall: "call_fake_1", anthropicToolUse: "toolu_fake_1" } as const;
export const FAKE_THINKING_SIGNATURE = "fake-signature-Ep8BCkYIBxgCKkA";
export const FAKE_REASONING = ["The user wants to know ", "what is in the workspace; ", "list_files will tell me."];
export const FAKE_PARTIAL_TEXT = ["Let me look into ", "that for you"];

const CREDENTIAL_HEADERS = new Set(["authorization", "x-api-key", "api-key"]);

export async function startFakeLlmServer(): Promise<FakeLlmServer> {
	const requests: RecordedRequest[] = [];
	let seq = 0;

	const { createServer } = (await import("node:http" as string)) as NodeHttp;
	const server = createServer((req, res) => {
		handle(req, res).catch((error: unknown) => {
			if (!res.headersSent) json(res, 500, { error: { message: `fake server failed: ${String(error)}` } });
			else res.destroy();
		});
	});

	async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const url = new URL(req.url ?? "/", "http://fake");
		if (url.pathname === "/__requests" && req.method === "GET") {
			const tag = url.searchParams.get("tag");
			return json(res, 200, { requests: tag === null ? requests : requests.filter((r) => r.tag === tag) });
		}
		if (url.pathname === "/__reset" && req.method === "POST") {
			const tag = url.searchParams.get("tag");
			const keep = tag === null ? [] : requests.filter((r) => r.tag !== tag);
			requests.splice(0, requests.length, ...keep);
			return json(res, 200, { ok: true });
		}

		const tagged = /^\/t\/([^/]+)(\/.*)$/.exec(url.pathname);
		const tag = tagged ? decodeURIComponent(tagged[1] as string) : null;
		const path = tagged ? (tagged[2] as string) : url.pathname;
		const provider: FakeProvider | null =
			path === "/openai/v1/chat/completions" ? "openai" : path === "/anthropic/v1/messages" ? "anthropic" : null;
		if (!provider || req.method !== "POST") {
			return json(res, 404, { error: { message: `fake LLM server: no route ${req.method} ${url.pathname}` } });
		}

		const raw = await readBody(req);
		let body: Record<string, unknown>;
		try {
			body = JSON.parse(raw) as Record<string, unknown>;
		} catch {
			return providerError(res, provider, 400, "invalid_request_error", "request body is not JSON");
		}
		requests.push({ seq: ++seq, tag, provider, method: req.method, path, headers: recordHeaders(req), body });

		const key = provider === "openai" ? bearer(header(req, "authorization")) : header(req, "x-api-key");
		if (!key) return providerError(res, provider, 401, "authentication_error", "no API key was sent");
		if (body.stream !== true) {
			return providerError(res, provider, 400, "invalid_request_error", "this fake only streams (stream: true)");
		}
		if (provider === "openai") return openai(res, body, key);
		if (req.headers["anthropic-version"] === undefined) {
			return providerError(res, provider, 400, "invalid_request_error", "anthropic-version header is required");
		}
		return anthropic(res, body);
	}

	await new Promise<void>((resolve, reject) => {
		server.once("error", reject);
		server.listen(0, "127.0.0.1", () => resolve());
	});
	const { port } = server.address() as { port: number };
	return {
		url: `http://127.0.0.1:${port}`,
		requests,
		close: () =>
			new Promise<void>((resolve, reject) => {
				server.closeAllConnections();
				server.close((error) => (error ? reject(error) : resolve()));
			}),
	};
}

// ---- OpenAI chat completions ----------------------------------------------------------------

async function openai(res: ServerResponse, body: Record<string, unknown>, key: string): Promise<void> {
	const model = String(body.model);
	const messages = Array.isArray(body.messages) ? (body.messages as Record<string, unknown>[]) : [];
	const includeUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
	const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
		id: "chatcmpl-fake-1",
		object: "chat.completion.chunk",
		created: 1_700_000_000,
		model,
		system_fingerprint: "fp_fake",
		choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
	});
	const usage = (step: { input: number; output: number; cached?: number }, reasoning = 0) => ({
		id: "chatcmpl-fake-1",
		object: "chat.completion.chunk",
		created: 1_700_000_000,
		model,
		choices: [],
		usage: {
			prompt_tokens: step.input,
			completion_tokens: step.output,
			total_tokens: step.input + step.output,
			...(step.cached ? { prompt_tokens_details: { cached_tokens: step.cached } } : {}),
			completion_tokens_details: { reasoning_tokens: reasoning },
		},
	});
	const data = (value: unknown) => `data: ${JSON.stringify(value)}\n\n`;
	const done = "data: [DONE]\n\n";

	switch (model) {
		case "tool-then-answer": {
			const last = messages.at(-1);
			if (last?.role === "tool") {
				const text = answerFromToolResult(
					typeof last.content === "string" ? last.content : JSON.stringify(last.content),
				);
				return sse(res, [
					data(chunk({ role: "assistant", content: "" })),
					...text.map((piece) => data(chunk({ content: piece }))),
					data(chunk({}, "stop")),
					...(includeUsage ? [data(usage(FAKE_USAGE.answerStep))] : []),
					done,
				]);
			}
			return sse(res, [
				data(chunk({ role: "assistant", content: null, reasoning_content: "" })),
				...FAKE_REASONING.map((piece) => data(chunk({ reasoning_content: piece }))),
				// The call's id and name first, then its arguments in pieces.
				data(
					chunk({
						tool_calls: [
							{
								index: 0,
								id: FAKE_IDS.openaiToolCall,
								type: "function",
								function: { name: "list_files", arguments: "" },
							},
						],
					}),
				),
				data(chunk({ tool_calls: [{ index: 0, function: { arguments: "{" } }] })),
				data(chunk({ tool_calls: [{ index: 0, function: { arguments: "}" } }] })),
				data(chunk({}, "tool_calls")),
				...(includeUsage ? [data(usage(FAKE_USAGE.toolStep, 18))] : []),
				done,
			]);
		}
		case "echo": {
			const last = [...messages].reverse().find((m) => m.role === "user");
			const said = (typeof last?.content === "string" ? last.content : JSON.stringify(last?.content ?? "")).replace(
				/\s+/g,
				" ",
			);
			const cap = Math.min(1_200, 3 * Number(body.max_tokens ?? body.max_completion_tokens ?? 400));
			const text = said.slice(0, cap).trim() || "(nothing)";
			const step = { input: Math.ceil(JSON.stringify(body).length / 4), output: Math.ceil(text.length / 4) };
			return sse(res, [
				data(chunk({ role: "assistant", content: "" })),
				...(text.match(/.{1,80}/gs) ?? []).map((piece) => data(chunk({ content: piece }))),
				data(chunk({}, "stop")),
				...(includeUsage ? [data(usage(step))] : []),
				done,
			]);
		}
		case "rate-limited":
			return json(
				res,
				429,
				{
					error: {
						message: `Rate limit reached for ${model} on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.`,
						type: "requests",
						param: null,
						code: "rate_limit_exceeded",
					},
				},
				{ "retry-after": "20", "x-ratelimit-limit-requests": "3", "x-ratelimit-remaining-requests": "0" },
			);
		case "midstream-error":
		case "midstream-error-untyped":
			return sse(res, [
				data(chunk({ role: "assistant", content: "" })),
				...FAKE_PARTIAL_TEXT.map((piece) => data(chunk({ content: piece }))),
				data(
					model === "midstream-error"
						? {
								error: {
									message: "The server had an error while processing your request. Sorry about that!",
									type: "server_error",
									param: null,
									code: null,
								},
							}
						: { error: { code: 502, message: "Upstream provider disconnected" } },
				),
				// The connection ends here: no finish_reason, no [DONE].
			]);
		case "truncated":
		case "connection-reset":
			// Partial text, then the stream stops: no finish_reason, no [DONE].
			return sse(
				res,
				[
					data(chunk({ role: "assistant", content: "" })),
					...FAKE_PARTIAL_TEXT.map((piece) => data(chunk({ content: piece }))),
				],
				model === "truncated" ? "end" : "reset",
			);
		case "bad-key":
			return json(res, 401, {
				error: {
					message: `Incorrect API key provided: ${mask(key)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
					type: "invalid_request_error",
					param: null,
					code: "invalid_api_key",
				},
			});
		default:
			return providerError(res, "openai", 404, "model_not_found", `The model \`${model}\` does not exist`);
	}
}

// ---- Anthropic messages ---------------------------------------------------------------------

async function anthropic(res: ServerResponse, body: Record<string, unknown>): Promise<void> {
	const model = String(body.model);
	const messages = Array.isArray(body.messages) ? (body.messages as Record<string, unknown>[]) : [];
	const event = (type: string, value: Record<string, unknown>) =>
		`event: ${type}\ndata: ${JSON.stringify({ type, ...value })}\n\n`;
	const messageStart = (id: string, inputTokens: number) =>
		event("message_start", {
			message: {
				id,
				type: "message",
				role: "assistant",
				model,
				content: [],
				stop_reason: null,
				stop_sequence: null,
				usage: {
					input_tokens: inputTokens,
					cache_creation_input_tokens: 0,
					cache_read_input_tokens: 0,
					output_tokens: 1,
				},
			},
		});
	const delta = (index: number, value: Record<string, unknown>) =>
		event("content_block_delta", { index, delta: value });
	const stop = (index: number) => event("content_block_stop", { index });
	const messageEnd = (reason: string, outputTokens: number) => [
		event("message_delta", {
			delta: { stop_reason: reason, stop_sequence: null },
			usage: { output_tokens: outputTokens },
		}),
		event("message_stop", {}),
	];

	switch (model) {
		case "tool-then-answer": {
			const toolResult = lastToolResult(messages.at(-1));
			if (toolResult !== undefined) {
				const text = answerFromToolResult(toolResult);
				return sse(res, [
					messageStart("msg_fake_2", FAKE_USAGE.answerStep.input),
					event("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
					...text.map((piece) => delta(0, { type: "text_delta", text: piece })),
					stop(0),
					...messageEnd("end_turn", FAKE_USAGE.answerStep.output),
				]);
			}
			return sse(res, [
				messageStart("msg_fake_1", FAKE_USAGE.toolStep.input),
				event("ping", {}),
				event("content_block_start", { index: 0, content_block: { type: "thinking", thinking: "", signature: "" } }),
				...FAKE_REASONING.map((piece) => delta(0, { type: "thinking_delta", thinking: piece })),
				delta(0, { type: "signature_delta", signature: FAKE_THINKING_SIGNATURE }),
				stop(0),
				event("content_block_start", {
					index: 1,
					content_block: { type: "tool_use", id: FAKE_IDS.anthropicToolUse, name: "list_files", input: {} },
				}),
				// Anthropic opens every tool_use with an empty partial_json.
				delta(1, { type: "input_json_delta", partial_json: "" }),
				delta(1, { type: "input_json_delta", partial_json: "{" }),
				delta(1, { type: "input_json_delta", partial_json: "}" }),
				stop(1),
				...messageEnd("tool_use", FAKE_USAGE.toolStep.output),
			]);
		}
		case "rate-limited":
			return json(
				res,
				429,
				{
					type: "error",
					error: {
						type: "rate_limit_error",
						message: "This request would exceed the rate limit for your organization of 5 requests per minute.",
					},
				},
				{ "retry-after": "20", "request-id": "req_fake_429" },
			);
		case "midstream-error":
			return sse(res, [
				messageStart("msg_fake_err", 50),
				event("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
				...FAKE_PARTIAL_TEXT.map((piece) => delta(0, { type: "text_delta", text: piece })),
				event("error", { error: { type: "overloaded_error", message: "Overloaded" } }),
			]);
		case "truncated":
		case "connection-reset":
			// Partial text, then the stream stops: no content_block_stop, message_delta or message_stop.
			return sse(
				res,
				[
					messageStart("msg_fake_cut", 50),
					event("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
					...FAKE_PARTIAL_TEXT.map((piece) => delta(0, { type: "text_delta", text: piece })),
				],
				model === "truncated" ? "end" : "reset",
			);
		case "bad-key":
			return json(res, 401, { type: "error", error: { type: "authentication_error", message: "invalid x-api-key" } });
		default:
			return providerError(res, "anthropic", 404, "not_found_error", `model: ${model}`);
	}
}

/** The text of a tool_result block in the last (user) message, if that message carries one. */
function lastToolResult(message: Record<string, unknown> | undefined): string | undefined {
	if (message?.role !== "user" || !Array.isArray(message.content)) return undefined;
	const block = (message.content as Record<string, unknown>[]).find((b) => b.type === "tool_result");
	if (!block) return undefined;
	if (typeof block.content === "string") return block.content;
	if (Array.isArray(block.content)) {
		return (block.content as { type?: string; text?: string }[])
			.filter((c) => c.type === "text")
			.map((c) => c.text ?? "")
			.join("");
	}
	return JSON.stringify(block.content ?? null);
}

// ---- shared ---------------------------------------------------------------------------------

/**
 * The final answer, in pieces, built from what list_files returned: the files and their sizes
 * can only be right if the tool result reached the model.
 */
export function answerFromToolResult(content: string): string[] {
	let files: { path: string; size: number }[];
	try {
		files = (JSON.parse(content) as { files: { path: string; size: number }[] }).files;
		if (!Array.isArray(files)) throw new Error("no files");
	} catch {
		return ["I could not read the tool result: ", content.slice(0, 200)];
	}
	const listed = files.map((f) => `${f.path} (${f.size} bytes)`).join(", ");
	return ["Your workspace has ", `${files.length} file${files.length === 1 ? "" : "s"}: `, `${listed}.`];
}

/**
 * Writes SSE frames one by one, each split in two writes, so the client sees real chunking.
 * `reset` destroys the socket after the last frame instead of ending the response.
 */
async function sse(res: ServerResponse, frames: string[], ending: "end" | "reset" = "end"): Promise<void> {
	res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" });
	res.flushHeaders();
	for (const frame of frames) {
		const cut = Math.floor(frame.length / 2);
		res.write(frame.slice(0, cut));
		await tick();
		res.write(frame.slice(cut));
		await tick();
	}
	if (ending === "reset") res.socket?.destroy();
	else res.end();
}

function providerError(res: ServerResponse, provider: FakeProvider, status: number, type: string, message: string) {
	if (provider === "anthropic") return json(res, status, { type: "error", error: { type, message } });
	return json(res, status, { error: { message, type, param: null, code: type } });
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
	res.writeHead(status, { "content-type": "application/json", ...headers });
	res.end(JSON.stringify(body));
}

function recordHeaders(req: IncomingMessage): Record<string, string> {
	const out: Record<string, string> = {};
	for (const [name, value] of Object.entries(req.headers)) {
		const text = Array.isArray(value) ? value.join(", ") : (value ?? "");
		out[name] = CREDENTIAL_HEADERS.has(name) ? `[redacted ${text.length} chars]` : text;
	}
	return out;
}

function header(req: IncomingMessage, name: string): string | undefined {
	const value = req.headers[name];
	return Array.isArray(value) ? value[0] : value;
}

function bearer(value: string | undefined): string | undefined {
	return value?.startsWith("Bearer ") ? value.slice("Bearer ".length) || undefined : undefined;
}

/** As OpenAI shows a wrong key: a few characters at each end. */
function mask(key: string): string {
	return `${key.slice(0, 3)}${"*".repeat(Math.max(4, key.length - 7))}${key.slice(-4)}`;
}

async function readBody(req: IncomingMessage): Promise<string> {
	const decoder = new TextDecoder();
	let text = "";
	for await (const chunk of req) text += decoder.decode(chunk, { stream: true });
	return text + decoder.decode();
}

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 0));
