import { parseOtelEndpoint, parseOtelHeaders } from "./config.ts";
import { SpanExporter } from "./exporter.ts";
import { type Attributes, double, int, type SpanData, SpanKind, StatusCode, str, strings } from "./spans.ts";
import { formatTraceparent, isSampled, newSpanId, newTraceId, parseTraceparent, SAMPLED } from "./traceparent.ts";

/**
 * One run attempt's trace (docs/usage.md, "Tracing"): the runner reports what happened, and
 * `flush` exports it in one OTLP/HTTP request, handed to `ctx.waitUntil` so the run never
 * waits on it. Spans, all in the caller's trace when the task carries a `traceparent`:
 *
 *   invoke_agent sparky          the attempt (its root; a child of the caller's span)
 *   ├─ queue wait                from queued to started
 *   ├─ chat <model>              each model call: GenAI attributes, tokens, cost
 *   └─ execute_tool <tool>       each tool call
 *
 * Attribute names follow the OpenTelemetry GenAI semantic conventions (development status);
 * Sparky's own are `sparky.*`. Off (a no-op that still has a trace id) when there is no
 * endpoint, or when the caller's `traceparent` says its span was not sampled. Nothing here
 * throws into the run.
 */

export interface RunTraceOptions {
	/** SPARKY_OTEL_ENDPOINT (an OTLP/HTTP base URL); undefined or invalid: no export. */
	endpoint: string | undefined;
	/** SPARKY_OTEL_HEADERS: `name=value,name=value`. */
	headers?: string;
	/** The resource's `service.name` (default `sparky`). */
	serviceName?: string;
	/** The task's W3C traceparent, as the caller sent it. */
	traceparent?: string;
	taskId: string;
	attempt: number;
	userId: string;
	fetch?: typeof fetch;
	/** One export's time limit (default 5 s). */
	timeoutMs?: number;
}

export interface ModelCall {
	/** `provider:model` as SPARKY_MODEL spells it, or `demo`. */
	model: string;
	startMs: number;
	endMs: number;
	inputTokens: number;
	outputTokens: number;
	cachedInputTokens: number;
	reasoningTokens: number;
	/** null: the model's price is unknown (the attribute is left out, never 0). */
	costUsd: number | null;
	finishReason?: string;
	error?: string;
}

export interface ToolCall {
	name: string;
	callId: string;
	startMs: number;
	endMs: number;
	error?: string;
}

const AGENT_NAME = "sparky";
const MAX_NAME = 256;
const MAX_MESSAGE = 1024;

export class RunTrace {
	/** The caller's trace id when the task has a valid traceparent, else a new one. */
	readonly traceId: string;
	/** This attempt's root span ("invoke_agent sparky"). */
	readonly runSpanId: string;
	/** False when nothing is exported (no endpoint, or the caller's span was not sampled). */
	readonly enabled: boolean;
	readonly #parentSpanId: string | undefined;
	readonly #exporter: SpanExporter | undefined;
	readonly #common: Attributes;
	#run: { startMs: number; provider: string; model: string } | undefined;
	#runEnded = false;
	#firstMs: number | undefined;
	#usage = { input: 0, output: 0, cost: 0 as number | null, calls: 0 };

	private constructor(options: RunTraceOptions) {
		const parent = parseTraceparent(options.traceparent);
		this.traceId = parent?.traceId ?? newTraceId();
		this.#parentSpanId = parent?.parentId;
		this.runSpanId = newSpanId();
		this.#common = {
			"sparky.task_id": str(options.taskId),
			"sparky.attempt": int(options.attempt),
			"sparky.user_id": str(options.userId),
		};
		const endpoint = parseOtelEndpoint(options.endpoint);
		this.enabled = endpoint !== undefined && (parent === undefined || isSampled(parent));
		this.#exporter =
			this.enabled && endpoint
				? new SpanExporter({
						endpoint,
						headers: parseOtelHeaders(options.headers),
						resource: { "service.name": str(options.serviceName ?? "sparky") },
						scope: { name: "sparky" },
						fetch: options.fetch,
						timeoutMs: options.timeoutMs,
					})
				: undefined;
	}

	/** A run attempt's trace; a no-op object (with a trace id) when export is off. Never throws. */
	static start(options: RunTraceOptions): RunTrace {
		try {
			return new RunTrace(options);
		} catch {
			return new RunTrace({ ...options, endpoint: undefined, traceparent: undefined });
		}
	}

	/** A traceparent naming this attempt's span, for work it hands on (the same trace). */
	get traceparent(): string {
		return formatTraceparent({ traceId: this.traceId, parentId: this.runSpanId, flags: SAMPLED });
	}
	/** Spans not exported because the run made more than the cap (512). */
	get droppedSpans(): number {
		return this.#exporter?.droppedSpans ?? 0;
	}
	/** Exports that failed (network error, timeout, non-2xx). */
	get exportFailures(): number {
		return this.#exporter?.exportFailures ?? 0;
	}

	/** The wait from queued (or re-queued, for a retry) to this attempt's start. */
	queueWait(enqueuedAtMs: number, startedAtMs: number): void {
		this.#record(() => ({
			name: "queue wait",
			kind: SpanKind.INTERNAL,
			startMs: enqueuedAtMs,
			endMs: startedAtMs,
			attributes: {},
			status: { code: StatusCode.UNSET },
		}));
	}

	/** Opens the attempt's root span, "invoke_agent sparky". */
	runStarted(atMs: number, model: string): void {
		if (!this.#exporter || this.#run) return;
		const { provider, model: requestModel } = splitModel(model);
		this.#run = { startMs: atMs, provider, model: requestModel };
	}

	/** One model call: span "chat <model>", a child of the run. */
	modelCall(call: ModelCall): void {
		this.#record(() => {
			const { provider, model } = splitModel(call.model);
			const attributes: Attributes = {
				"gen_ai.operation.name": str("chat"),
				"gen_ai.provider.name": str(provider),
				"gen_ai.system": str(provider),
				"gen_ai.request.model": str(model),
				"gen_ai.usage.input_tokens": int(call.inputTokens),
				"gen_ai.usage.output_tokens": int(call.outputTokens),
				"gen_ai.usage.cache_read.input_tokens": int(call.cachedInputTokens),
				"gen_ai.usage.reasoning.output_tokens": int(call.reasoningTokens),
				"sparky.usage.cached_input_tokens": int(call.cachedInputTokens),
				"sparky.usage.reasoning_tokens": int(call.reasoningTokens),
			};
			if (call.costUsd !== null && Number.isFinite(call.costUsd)) attributes["sparky.cost_usd"] = double(call.costUsd);
			if (call.finishReason) attributes["gen_ai.response.finish_reasons"] = strings([cut(call.finishReason, MAX_NAME)]);
			if (call.error) attributes["error.type"] = str("_OTHER");
			this.#usage.input += finite(call.inputTokens);
			this.#usage.output += finite(call.outputTokens);
			this.#usage.cost =
				this.#usage.cost === null || call.costUsd === null || !Number.isFinite(call.costUsd)
					? null
					: this.#usage.cost + call.costUsd;
			this.#usage.calls++;
			return {
				name: `chat ${model}`,
				kind: SpanKind.CLIENT,
				startMs: call.startMs,
				endMs: call.endMs,
				attributes,
				status: failed(call.error),
			};
		});
	}

	/** One tool call: span "execute_tool <name>", a child of the run. */
	toolCall(call: ToolCall): void {
		this.#record(() => {
			const attributes: Attributes = {
				"gen_ai.operation.name": str("execute_tool"),
				"gen_ai.tool.name": str(cut(call.name, MAX_NAME)),
				"gen_ai.tool.call.id": str(cut(call.callId, MAX_NAME)),
			};
			if (call.error) attributes["error.type"] = str("_OTHER");
			return {
				name: `execute_tool ${cut(call.name, MAX_NAME)}`,
				kind: SpanKind.INTERNAL,
				startMs: call.startMs,
				endMs: call.endMs,
				attributes,
				status: failed(call.error),
			};
		});
	}

	/** Closes the run span: `status` is how the attempt ended (a task status); `failed` or an error is an error. */
	runEnded(atMs: number, status: string, error?: string): void {
		try {
			this.#endRun(atMs, status, error);
		} catch {
			// Tracing never fails a run.
		}
	}

	/**
	 * Exports the attempt's spans in one request: hand it to `ctx.waitUntil`. A run span still
	 * open is closed now (status `unfinished`). Never rejects.
	 */
	async flush(): Promise<void> {
		if (!this.#exporter) return;
		try {
			if (!this.#runEnded) this.#endRun(Date.now(), "unfinished");
			await this.#exporter.flush();
		} catch {
			// SpanExporter.flush doesn't reject; this is the last line of defence.
		}
	}

	#endRun(atMs: number, status: string, error?: string): void {
		if (!this.#exporter || this.#runEnded) return;
		this.#runEnded = true;
		const run = this.#run ?? { startMs: this.#firstMs ?? atMs, provider: "unknown", model: "unknown" };
		const attributes: Attributes = {
			"gen_ai.operation.name": str("invoke_agent"),
			"gen_ai.agent.name": str(AGENT_NAME),
			"gen_ai.provider.name": str(run.provider),
			"gen_ai.system": str(run.provider),
			"gen_ai.request.model": str(run.model),
			"gen_ai.usage.input_tokens": int(this.#usage.input),
			"gen_ai.usage.output_tokens": int(this.#usage.output),
			"sparky.run.status": str(cut(status, MAX_NAME)),
			"sparky.model_calls": int(this.#usage.calls),
		};
		if (this.#usage.cost !== null) attributes["sparky.cost_usd"] = double(this.#usage.cost);
		const isError = Boolean(error) || status === "failed";
		if (isError) attributes["error.type"] = str("_OTHER");
		this.#exporter.add({
			traceId: this.traceId,
			spanId: this.runSpanId,
			...(this.#parentSpanId ? { parentSpanId: this.#parentSpanId } : {}),
			name: `invoke_agent ${AGENT_NAME}`,
			kind: SpanKind.INTERNAL,
			startMs: run.startMs,
			endMs: atMs,
			attributes: { ...attributes, ...this.#common },
			status: isError
				? { code: StatusCode.ERROR, message: cut(error || `run ${status}`, MAX_MESSAGE) }
				: { code: StatusCode.UNSET },
		});
	}

	/** Adds a child of the run span; a span made after the run span was exported is still sent (by the next flush). */
	#record(make: () => Omit<SpanData, "traceId" | "spanId" | "parentSpanId">): void {
		if (!this.#exporter) return;
		try {
			const span = make();
			this.#firstMs = Math.min(this.#firstMs ?? span.startMs, span.startMs);
			this.#exporter.add({
				...span,
				traceId: this.traceId,
				spanId: newSpanId(),
				parentSpanId: this.runSpanId,
				attributes: { ...span.attributes, ...this.#common },
			});
		} catch {
			// Tracing never fails a run.
		}
	}
}

/** `provider:model` → its parts; `demo` (or no provider) → provider and model alike. */
export function splitModel(spec: string): { provider: string; model: string } {
	const colon = spec.indexOf(":");
	if (colon <= 0 || colon === spec.length - 1) return { provider: cut(spec, MAX_NAME), model: cut(spec, MAX_NAME) };
	return { provider: cut(spec.slice(0, colon), MAX_NAME), model: cut(spec.slice(colon + 1), MAX_NAME) };
}

function failed(error: string | undefined): SpanData["status"] {
	return error ? { code: StatusCode.ERROR, message: cut(error, MAX_MESSAGE) } : { code: StatusCode.UNSET };
}

const cut = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
const finite = (n: number): number => (Number.isFinite(n) ? n : 0);
