// The OTLP/JSON encoding (src/telemetry/spans.ts), the settings (config.ts), the exporter's
// bounds (exporter.ts) and RunTrace's spans (run-trace.ts), with a fetch that only records.
// test/telemetry/receiver.test.ts sends the same to a receiver that reads it with the schema.
import { describe, expect, it, vi } from "vitest";
import { otelConfig, parseOtelEndpoint, parseOtelHeaders, tracesUrl } from "../../src/telemetry/config.ts";
import { SpanExporter } from "../../src/telemetry/exporter.ts";
import { RunTrace, splitModel } from "../../src/telemetry/run-trace.ts";
import {
	bool,
	double,
	encodeTraceRequest,
	int,
	type SpanData,
	SpanKind,
	StatusCode,
	str,
	strings,
	unixNano,
} from "../../src/telemetry/spans.ts";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT = "00f067aa0ba902b7";

const span = (over: Partial<SpanData> = {}): SpanData => ({
	traceId: TRACE,
	spanId: "1111111111111111",
	parentSpanId: PARENT,
	name: "chat gpt-5-mini",
	kind: SpanKind.CLIENT,
	startMs: 1_718_000_000_000,
	endMs: 1_718_000_001_250.5,
	attributes: {},
	status: { code: StatusCode.UNSET },
	...over,
});

type Sent = { name: string; attributes: { key: string; value: unknown }[] };
/** The spans of a recorded request body. */
const spansOf = (body: unknown): Sent[] =>
	(body as { resourceSpans: { scopeSpans: { spans: Sent[] }[] }[] } | undefined)?.resourceSpans[0]?.scopeSpans[0]
		?.spans ?? [];

/** A fetch that records each request and answers `status`. */
function recordingFetch(status = 200) {
	const calls: { url: string; init: RequestInit; body: unknown }[] = [];
	const fetchImpl = (async (input: RequestInfo | URL, init?: RequestInit) => {
		calls.push({ url: String(input), init: init ?? {}, body: JSON.parse(String(init?.body)) });
		return new Response("{}", { status });
	}) as typeof fetch;
	return { calls, fetchImpl };
}

describe("OTLP/JSON encoding", () => {
	it("writes an ExportTraceServiceRequest: hex ids, integer enums, 64-bit integers as strings", () => {
		const body = encodeTraceRequest(
			[
				span({
					attributes: {
						s: str("x"),
						i: int(1200),
						d: double(0.25),
						zero: double(0),
						b: bool(true),
						list: strings(["stop"]),
						nan: double(Number.NaN),
					},
					status: { code: StatusCode.ERROR, message: "boom" },
				}),
				span({ spanId: "2222222222222222", parentSpanId: undefined, kind: SpanKind.INTERNAL }),
			],
			{ "service.name": str("sparky") },
			{ name: "sparky" },
		);
		expect(body).toEqual({
			resourceSpans: [
				{
					resource: { attributes: [{ key: "service.name", value: { stringValue: "sparky" } }] },
					scopeSpans: [
						{
							scope: { name: "sparky" },
							spans: [
								{
									traceId: TRACE,
									spanId: "1111111111111111",
									parentSpanId: PARENT,
									name: "chat gpt-5-mini",
									kind: 3,
									startTimeUnixNano: "1718000000000000000",
									endTimeUnixNano: "1718000001250500000",
									attributes: [
										{ key: "s", value: { stringValue: "x" } },
										{ key: "i", value: { intValue: "1200" } },
										{ key: "d", value: { doubleValue: 0.25 } },
										// A double stays a double even when it is whole (a cost of $0).
										{ key: "zero", value: { doubleValue: 0 } },
										{ key: "b", value: { boolValue: true } },
										{ key: "list", value: { arrayValue: { values: [{ stringValue: "stop" }] } } },
										// NaN can't be encoded: left out.
									],
									status: { code: 2, message: "boom" },
								},
								{
									traceId: TRACE,
									spanId: "2222222222222222",
									name: "chat gpt-5-mini",
									kind: 1,
									startTimeUnixNano: "1718000000000000000",
									endTimeUnixNano: "1718000001250500000",
									attributes: [],
									status: { code: 0 },
								},
							],
						},
					],
				},
			],
		});
		// What goes on the wire is plain JSON (no BigInt, nothing undefined).
		expect(JSON.parse(JSON.stringify(body))).toEqual(body);
	});

	it("keeps nanoseconds exact past 2^53, never writes a negative duration", () => {
		expect(unixNano(1_718_000_000_123)).toBe("1718000000123000000");
		expect(unixNano(Number.NaN)).toBe("0");
		const [encoded] = encodeTraceRequest([span({ startMs: 2_000, endMs: 1_000 })], {}, { name: "s" }).resourceSpans[0]
			?.scopeSpans[0]?.spans ?? [undefined];
		expect(encoded?.endTimeUnixNano).toBe(encoded?.startTimeUnixNano);
	});
});

describe("settings", () => {
	it("reads SPARKY_OTEL_ENDPOINT: http(s) only, trailing slash dropped; unset, empty or invalid is off", () => {
		const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
		try {
			expect(parseOtelEndpoint("http://127.0.0.1:4318")).toBe("http://127.0.0.1:4318");
			expect(parseOtelEndpoint(" https://otel.example.com/otlp/ ")).toBe("https://otel.example.com/otlp");
			expect(parseOtelEndpoint(undefined)).toBeUndefined();
			expect(parseOtelEndpoint("  ")).toBeUndefined();
			expect(parseOtelEndpoint("ftp://example.com")).toBeUndefined();
			expect(parseOtelEndpoint("not a url")).toBeUndefined();
			expect(parseOtelEndpoint("https://user:secret@[bad")).toBeUndefined();
			expect(otelConfig({ SPARKY_OTEL_ENDPOINT: "", SPARKY_OTEL_HEADERS: "" })).toEqual({
				endpoint: undefined,
				headers: undefined,
			});
			// The warning never carries the value (it may hold a credential).
			for (const call of warn.mock.calls) expect(String(call[0])).not.toContain("secret");
		} finally {
			warn.mockRestore();
		}
		expect(tracesUrl("http://127.0.0.1:4318")).toBe("http://127.0.0.1:4318/v1/traces");
		expect(tracesUrl("https://otel.example.com/otlp")).toBe("https://otel.example.com/otlp/v1/traces");
	});

	it("reads SPARKY_OTEL_HEADERS as name=value pairs, percent-decoded, and skips malformed ones", () => {
		const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
		try {
			expect(parseOtelHeaders("authorization=Bearer abc,X-Scope=a%20b, foo = bar ")).toEqual({
				authorization: "Bearer abc",
				"x-scope": "a b",
				foo: "bar",
			});
			expect(parseOtelHeaders("novalue,=x,bad name=1,content-type=text/plain,ok=1,api-key=top%0Asecret")).toEqual({
				ok: "1",
			});
			expect(parseOtelHeaders(undefined)).toEqual({});
			for (const call of warn.mock.calls) expect(String(call[0])).not.toMatch(/secret|novalue/);
		} finally {
			warn.mockRestore();
		}
	});
});

describe("SpanExporter", () => {
	const options = { endpoint: "http://collector.test:4318", resource: {}, scope: { name: "sparky" } };

	it("sends every buffered span in one POST with the headers, and nothing when empty", async () => {
		const { calls, fetchImpl } = recordingFetch();
		const exporter = new SpanExporter({ ...options, headers: { authorization: "Bearer t" }, fetch: fetchImpl });
		await exporter.flush();
		expect(calls).toHaveLength(0);
		exporter.add(span());
		exporter.add(span({ spanId: "2222222222222222" }));
		await exporter.flush();
		expect(calls).toHaveLength(1);
		expect(calls[0]?.url).toBe("http://collector.test:4318/v1/traces");
		expect(calls[0]?.init.method).toBe("POST");
		expect(calls[0]?.init.headers).toEqual({ authorization: "Bearer t", "content-type": "application/json" });
		expect(calls[0]?.init.signal).toBeInstanceOf(AbortSignal);
		expect(spansOf(calls[0]?.body)).toHaveLength(2);
		expect(exporter.exportedSpans).toBe(2);
		await exporter.flush();
		expect(calls).toHaveLength(1);
	});

	it("keeps at most maxSpans and counts the rest as dropped", async () => {
		const { calls, fetchImpl } = recordingFetch();
		const exporter = new SpanExporter({ ...options, fetch: fetchImpl, maxSpans: 3 });
		for (let i = 0; i < 5; i++) exporter.add(span());
		expect(exporter.droppedSpans).toBe(2);
		await exporter.flush();
		expect(exporter.exportedSpans).toBe(3);
		expect(calls).toHaveLength(1);
	});

	it("counts a non-2xx answer and a throwing fetch as failures, logs once each without the headers, never rejects", async () => {
		const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
		try {
			const refusing = new SpanExporter({
				...options,
				endpoint: "http://collector.test:4318/?api_key=querysecret",
				headers: { authorization: "Bearer headersecret" },
				fetch: recordingFetch(503).fetchImpl,
			});
			refusing.add(span());
			await expect(refusing.flush()).resolves.toBeUndefined();
			expect(refusing.exportFailures).toBe(1);
			expect(refusing.exportedSpans).toBe(0);

			const throwing = new SpanExporter({
				...options,
				fetch: (() => {
					throw new TypeError("fetch failed for http://collector.test:4318/v1/traces?api_key=querysecret");
				}) as typeof fetch,
			});
			throwing.add(span());
			await expect(throwing.flush()).resolves.toBeUndefined();
			expect(throwing.exportFailures).toBe(1);

			expect(warn).toHaveBeenCalledTimes(2);
			const lines = warn.mock.calls.map((call) => String(call[0]));
			expect(lines[0]).toContain('"status":503');
			for (const line of lines) expect(line).not.toMatch(/headersecret|querysecret/);
		} finally {
			warn.mockRestore();
		}
	});
});

describe("RunTrace", () => {
	const base = { taskId: "task_1", attempt: 1, userId: "user_1" };

	it("is a no-op with a trace id when there is no endpoint", async () => {
		const fetchImpl = vi.fn();
		const trace = RunTrace.start({ ...base, endpoint: undefined, fetch: fetchImpl as unknown as typeof fetch });
		expect(trace.enabled).toBe(false);
		expect(trace.traceId).toMatch(/^[0-9a-f]{32}$/);
		trace.runStarted(1, "demo");
		trace.modelCall({
			model: "demo",
			startMs: 1,
			endMs: 2,
			inputTokens: 1,
			outputTokens: 1,
			cachedInputTokens: 0,
			reasoningTokens: 0,
			costUsd: 0,
		});
		trace.runEnded(3, "succeeded");
		await trace.flush();
		expect(fetchImpl).not.toHaveBeenCalled();
		expect(trace.exportFailures).toBe(0);
	});

	it("keeps the caller's trace id; exports nothing when the caller's span was not sampled", async () => {
		const { calls, fetchImpl } = recordingFetch();
		const trace = RunTrace.start({
			...base,
			endpoint: "http://collector.test",
			traceparent: `00-${TRACE}-${PARENT}-00`,
			fetch: fetchImpl,
		});
		expect(trace.traceId).toBe(TRACE);
		expect(trace.enabled).toBe(false);
		trace.runStarted(1, "demo");
		trace.runEnded(2, "succeeded");
		await trace.flush();
		expect(calls).toHaveLength(0);
		// An invalid traceparent starts a new trace (and is sampled).
		const fresh = RunTrace.start({
			...base,
			endpoint: "http://collector.test",
			traceparent: "00-nope",
			fetch: fetchImpl,
		});
		expect(fresh.traceId).not.toBe(TRACE);
		expect(fresh.enabled).toBe(true);
		expect(fresh.traceparent).toBe(`00-${fresh.traceId}-${fresh.runSpanId}-01`);
	});

	it("splits provider:model, demo alike", () => {
		expect(splitModel("openai:gpt-5-mini")).toEqual({ provider: "openai", model: "gpt-5-mini" });
		expect(splitModel("workers-ai:@cf/meta/llama-3.3-70b")).toEqual({
			provider: "workers-ai",
			model: "@cf/meta/llama-3.3-70b",
		});
		expect(splitModel("demo")).toEqual({ provider: "demo", model: "demo" });
	});

	it("closes a run span still open at flush, and sums usage onto it (no cost when a price is unknown)", async () => {
		const { calls, fetchImpl } = recordingFetch();
		const trace = RunTrace.start({ ...base, endpoint: "http://collector.test", fetch: fetchImpl });
		trace.runStarted(1_000, "openai:gpt-5-mini");
		const call = { model: "openai:gpt-5-mini", cachedInputTokens: 0, reasoningTokens: 0 };
		trace.modelCall({ ...call, startMs: 1_100, endMs: 1_200, inputTokens: 10, outputTokens: 5, costUsd: 0.5 });
		trace.modelCall({ ...call, startMs: 1_300, endMs: 1_400, inputTokens: 20, outputTokens: 7, costUsd: null });
		await trace.flush();
		const spans = spansOf(calls[0]?.body);
		expect(spans.map((s) => s.name)).toEqual(["chat gpt-5-mini", "chat gpt-5-mini", "invoke_agent sparky"]);
		const run = spans[2]?.attributes ?? [];
		const get = (key: string) => run.find((a) => a.key === key)?.value;
		expect(get("gen_ai.usage.input_tokens")).toEqual({ intValue: "30" });
		expect(get("gen_ai.usage.output_tokens")).toEqual({ intValue: "12" });
		expect(get("sparky.run.status")).toEqual({ stringValue: "unfinished" });
		expect(get("sparky.cost_usd")).toBeUndefined();
		// The first call's price was known: its span has it.
		const first = spans[0]?.attributes ?? [];
		expect(first.find((a) => a.key === "sparky.cost_usd")?.value).toEqual({ doubleValue: 0.5 });
	});
});
