import { log } from "../log.ts";
import { tracesUrl } from "./config.ts";
import { type Attributes, encodeTraceRequest, type Scope, type SpanData } from "./spans.ts";

/** Spans one exporter keeps at most (a run's worth); later ones are dropped and counted. */
export const MAX_SPANS = 512;
/** How long one export may take before it is given up (and counted as failed). */
export const EXPORT_TIMEOUT_MS = 5_000;

export interface ExporterOptions {
	/** A validated OTLP/HTTP base URL (config.ts): spans are POSTed to `<it>/v1/traces`. */
	endpoint: string;
	/** Sent with every export (SPARKY_OTEL_HEADERS); never logged. */
	headers?: Record<string, string>;
	resource: Attributes;
	scope: Scope;
	fetch?: typeof fetch;
	timeoutMs?: number;
	maxSpans?: number;
}

/**
 * Buffers the spans of one run and exports them in one OTLP/HTTP JSON request when flushed.
 * Bounded (at most `maxSpans` held, the rest dropped and counted) and harmless: `flush` never
 * rejects and gives up after `timeoutMs`; a failure (network, timeout, non-2xx) is counted in
 * `exportFailures` and logged once per flush, without the headers or the URL's query.
 */
export class SpanExporter {
	#buffer: SpanData[] = [];
	#kept = 0;
	#dropped = 0;
	#failures = 0;
	#exported = 0;
	readonly #url: string;
	readonly #where: string;
	readonly #headers: Record<string, string>;
	readonly #fetch: typeof fetch;
	readonly #timeoutMs: number;
	readonly #maxSpans: number;
	readonly #resource: Attributes;
	readonly #scope: Scope;

	constructor(options: ExporterOptions) {
		this.#url = tracesUrl(options.endpoint);
		const url = new URL(this.#url);
		this.#where = `${url.origin}${url.pathname}`;
		this.#headers = { ...options.headers, "content-type": "application/json" };
		const fetchImpl = options.fetch;
		// Called unbound: the Workers runtime's fetch refuses to run as another object's method.
		this.#fetch = fetchImpl ? (input, init) => fetchImpl(input, init) : (input, init) => fetch(input, init);
		this.#timeoutMs = options.timeoutMs ?? EXPORT_TIMEOUT_MS;
		this.#maxSpans = options.maxSpans ?? MAX_SPANS;
		this.#resource = options.resource;
		this.#scope = options.scope;
	}

	/** Spans not kept because the buffer was full. */
	get droppedSpans(): number {
		return this.#dropped;
	}
	/** Exports that failed: network error, timeout, or an answer other than 2xx. */
	get exportFailures(): number {
		return this.#failures;
	}
	/** Spans the receiver accepted (a 2xx answer). */
	get exportedSpans(): number {
		return this.#exported;
	}

	add(span: SpanData): void {
		if (this.#kept >= this.#maxSpans) {
			this.#dropped++;
			return;
		}
		this.#kept++;
		this.#buffer.push(span);
	}

	/** Sends what is buffered in one request. Never rejects; resolves within about `timeoutMs`. */
	async flush(): Promise<void> {
		const spans = this.#buffer;
		if (spans.length === 0) return;
		this.#buffer = [];
		let status: number | undefined;
		try {
			const body = JSON.stringify(encodeTraceRequest(spans, this.#resource, this.#scope));
			const response = await this.#fetch(this.#url, {
				method: "POST",
				headers: this.#headers,
				body,
				signal: AbortSignal.timeout(this.#timeoutMs),
			});
			status = response.status;
			// The answer (an ExportTraceServiceResponse) is not needed: free the connection.
			await response.body?.cancel().catch(() => {});
			if (response.ok) {
				this.#exported += spans.length;
				return;
			}
			this.#fail(spans.length, { status });
		} catch (error) {
			this.#fail(spans.length, {
				status,
				// A URL's query may hold a credential: name an endpoint by origin and path only.
				error: withoutQueries(error instanceof Error ? `${error.name}: ${error.message}` : String(error)),
			});
		}
	}

	#fail(spans: number, fields: Record<string, unknown>): void {
		this.#failures++;
		try {
			log.warn("trace export failed", { endpoint: this.#where, spans, ...fields });
		} catch {
			// A log line is never worth a failed run.
		}
	}
}

/** Any URL in a message without its query and fragment. */
const withoutQueries = (text: string): string => text.replace(/(https?:\/\/[^\s?#"'<>]*)[?#][^\s"'<>]*/g, "$1");
