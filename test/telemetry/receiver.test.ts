// A run's trace, exported from the Workers runtime (this pool) to an OTLP/HTTP receiver that
// reads it with opentelemetry-proto's own schema (test/support/otlp-receiver.ts, in Node): the
// caller's trace id, the parent/child links, the GenAI attributes and token counts arrive as
// sent; an unreachable, failing or hanging collector costs the run nothing but a counted failure.
import { describe, expect, inject, it, vi } from "vitest";
import { RunTrace, type RunTraceOptions } from "../../src/telemetry/run-trace.ts";
import type { ReceivedExport, ReceivedSpan } from "../support/otlp-receiver.ts";

const receiverUrl = inject("otlpReceiverUrl");
const closedUrl = inject("otlpClosedUrl");

const CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN = "00f067aa0ba902b7";

const tagged = () => `${receiverUrl}/t/${crypto.randomUUID()}`;
const tagOf = (endpoint: string) => decodeURIComponent(endpoint.split("/t/")[1] ?? "");

async function received(endpoint: string): Promise<ReceivedExport[]> {
	const response = await fetch(`${receiverUrl}/__received?tag=${encodeURIComponent(tagOf(endpoint))}`);
	return ((await response.json()) as { received: ReceivedExport[] }).received;
}

/** A run like the runner reports one: queued, started, two model calls around one tool call, ended. */
function reportRun(trace: RunTrace, t0: number, opts: { failTool?: boolean } = {}): void {
	trace.queueWait(t0, t0 + 40);
	trace.runStarted(t0 + 40, "openai:gpt-5-mini");
	trace.modelCall({
		model: "openai:gpt-5-mini",
		startMs: t0 + 50,
		endMs: t0 + 850,
		inputTokens: 1200,
		outputTokens: 80,
		cachedInputTokens: 1024,
		reasoningTokens: 64,
		costUsd: 0.000_485,
		finishReason: "tool-calls",
	});
	trace.toolCall({
		name: "list_files",
		callId: "call_1",
		startMs: t0 + 860,
		endMs: t0 + 900,
		...(opts.failTool ? { error: "no such folder" } : {}),
	});
	trace.modelCall({
		model: "openai:gpt-5-mini",
		startMs: t0 + 910,
		endMs: t0 + 1500,
		inputTokens: 1400,
		outputTokens: 120,
		cachedInputTokens: 0,
		reasoningTokens: 0,
		costUsd: null,
		finishReason: "stop",
	});
	trace.runEnded(t0 + 1510, "succeeded");
}

const options = (endpoint: string, over: Partial<RunTraceOptions> = {}): RunTraceOptions => ({
	endpoint,
	taskId: "task_abc",
	attempt: 2,
	userId: "user_42",
	...over,
});

describe("trace export to an OTLP receiver", () => {
	it("arrives in the caller's trace, linked, with GenAI attributes and token counts", async () => {
		const endpoint = tagged();
		const trace = RunTrace.start(
			options(endpoint, {
				traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01`,
				headers: "authorization=Bearer test-token,x-tenant=sparky%20tests",
			}),
		);
		expect(trace.traceId).toBe(CALLER_TRACE);
		const t0 = Date.now() - 2_000;
		reportRun(trace, t0);
		await trace.flush();
		expect(trace.exportFailures).toBe(0);
		expect(trace.droppedSpans).toBe(0);

		const exports = await received(endpoint);
		expect(exports).toHaveLength(1); // one request for the whole run
		const [sent] = exports as [ReceivedExport];
		expect(sent.error).toBeUndefined();
		expect(sent.status).toBe(200);
		expect(sent.path).toBe("/v1/traces");
		expect(sent.contentType).toBe("application/json");
		expect(sent.headers.authorization).toBe("Bearer test-token");
		expect(sent.headers["x-tenant"]).toBe("sparky tests");
		expect(sent.resource["service.name"]).toEqual({ stringValue: "sparky" });
		expect(sent.scopes).toEqual([{ name: "sparky", version: "" }]);

		const spans = sent.spans;
		expect(spans.map((s) => s.name).sort()).toEqual(
			["chat gpt-5-mini", "chat gpt-5-mini", "execute_tool list_files", "invoke_agent sparky", "queue wait"].sort(),
		);
		for (const span of spans) {
			expect(span.traceId).toBe(CALLER_TRACE);
			expect(span.spanId).toMatch(/^[0-9a-f]{16}$/);
			expect(span.attributes["sparky.task_id"]).toEqual({ stringValue: "task_abc" });
			expect(span.attributes["sparky.attempt"]).toEqual({ intValue: "2" });
			expect(span.attributes["sparky.user_id"]).toEqual({ stringValue: "user_42" });
			expect(BigInt(span.endTimeUnixNano)).toBeGreaterThanOrEqual(BigInt(span.startTimeUnixNano));
		}
		expect(new Set(spans.map((s) => s.spanId)).size).toBe(spans.length);

		const byName = (name: string) => spans.filter((s) => s.name === name);
		const run = byName("invoke_agent sparky")[0] as ReceivedSpan;
		// The attempt's root is a child of the caller's span; everything else a child of it.
		expect(run.parentSpanId).toBe(CALLER_SPAN);
		expect(run.spanId).toBe(trace.runSpanId);
		for (const span of spans) if (span !== run) expect(span.parentSpanId).toBe(run.spanId);
		expect(run.kind).toBe(1); // INTERNAL: the agent runs in this process
		expect(run.status).toEqual({ code: 0, message: "" });
		expect(run.startTimeUnixNano).toBe(`${t0 + 40}000000`);
		expect(run.endTimeUnixNano).toBe(`${t0 + 1510}000000`);
		expect(run.attributes).toMatchObject({
			"gen_ai.operation.name": { stringValue: "invoke_agent" },
			"gen_ai.agent.name": { stringValue: "sparky" },
			"gen_ai.provider.name": { stringValue: "openai" },
			"gen_ai.request.model": { stringValue: "gpt-5-mini" },
			"gen_ai.usage.input_tokens": { intValue: "2600" },
			"gen_ai.usage.output_tokens": { intValue: "200" },
			"sparky.run.status": { stringValue: "succeeded" },
			"sparky.model_calls": { intValue: "2" },
		});
		// One call's price was unknown: the run has no dollar figure, not a wrong one.
		expect(run.attributes["sparky.cost_usd"]).toBeUndefined();

		const [first, second] = byName("chat gpt-5-mini").sort((a, b) =>
			a.startTimeUnixNano.localeCompare(b.startTimeUnixNano),
		) as [ReceivedSpan, ReceivedSpan];
		expect(first.kind).toBe(3); // CLIENT: a call to the provider
		expect(first.startTimeUnixNano).toBe(`${t0 + 50}000000`);
		expect(first.endTimeUnixNano).toBe(`${t0 + 850}000000`);
		expect(first.attributes).toMatchObject({
			"gen_ai.operation.name": { stringValue: "chat" },
			"gen_ai.provider.name": { stringValue: "openai" },
			"gen_ai.system": { stringValue: "openai" },
			"gen_ai.request.model": { stringValue: "gpt-5-mini" },
			"gen_ai.usage.input_tokens": { intValue: "1200" },
			"gen_ai.usage.output_tokens": { intValue: "80" },
			"gen_ai.usage.cache_read.input_tokens": { intValue: "1024" },
			"gen_ai.usage.reasoning.output_tokens": { intValue: "64" },
			"sparky.usage.cached_input_tokens": { intValue: "1024" },
			"sparky.usage.reasoning_tokens": { intValue: "64" },
			"sparky.cost_usd": { doubleValue: 0.000_485 },
			"gen_ai.response.finish_reasons": { arrayValue: { values: [{ stringValue: "tool-calls" }] } },
		});
		expect(second.attributes["gen_ai.usage.input_tokens"]).toEqual({ intValue: "1400" });
		expect(second.attributes["sparky.cost_usd"]).toBeUndefined();

		const tool = byName("execute_tool list_files")[0] as ReceivedSpan;
		expect(tool.kind).toBe(1);
		expect(tool.attributes).toMatchObject({
			"gen_ai.operation.name": { stringValue: "execute_tool" },
			"gen_ai.tool.name": { stringValue: "list_files" },
			"gen_ai.tool.call.id": { stringValue: "call_1" },
		});

		const queue = byName("queue wait")[0] as ReceivedSpan;
		expect(queue.startTimeUnixNano).toBe(`${t0}000000`);
		expect(queue.endTimeUnixNano).toBe(`${t0 + 40}000000`);
	});

	it("starts a trace of its own without a traceparent, and marks failures as errors", async () => {
		const endpoint = tagged();
		const trace = RunTrace.start(options(endpoint));
		reportRun(trace, Date.now() - 2_000, { failTool: true });
		// A second attempt's report after the end is ignored; a span added later still goes out.
		trace.runEnded(Date.now(), "failed", "too late");
		await trace.flush();
		const [sent] = (await received(endpoint)) as [ReceivedExport];
		expect(sent.error).toBeUndefined();
		const run = sent.spans.find((s) => s.name === "invoke_agent sparky") as ReceivedSpan;
		expect(run.parentSpanId).toBe(""); // the root of a new trace
		expect(run.traceId).toBe(trace.traceId);
		expect(run.attributes["sparky.run.status"]).toEqual({ stringValue: "succeeded" });
		const tool = sent.spans.find((s) => s.name === "execute_tool list_files") as ReceivedSpan;
		expect(tool.status).toEqual({ code: 2, message: "no such folder" });
		expect(tool.attributes["error.type"]).toEqual({ stringValue: "_OTHER" });

		const failing = tagged();
		const failed = RunTrace.start(options(failing));
		failed.runStarted(Date.now() - 10, "demo");
		failed.runEnded(Date.now(), "failed", "the model refused");
		await failed.flush();
		const [run2] = ((await received(failing))[0] as ReceivedExport).spans as [ReceivedSpan];
		expect(run2.status).toEqual({ code: 2, message: "the model refused" });
		expect(run2.attributes["gen_ai.provider.name"]).toEqual({ stringValue: "demo" });
		expect(run2.attributes["sparky.cost_usd"]).toEqual({ doubleValue: 0 });
	});

	it("keeps a run's export bounded: spans past the cap are dropped and counted", async () => {
		const endpoint = tagged();
		const trace = RunTrace.start(options(endpoint));
		trace.runStarted(Date.now() - 100, "demo");
		for (let i = 0; i < 600; i++)
			trace.toolCall({ name: "get_time", callId: `call_${i}`, startMs: Date.now() - 50, endMs: Date.now() });
		trace.runEnded(Date.now(), "succeeded");
		await trace.flush();
		expect(trace.exportFailures).toBe(0);
		const [sent] = (await received(endpoint)) as [ReceivedExport];
		expect(sent.spans).toHaveLength(512);
		// 600 tool calls + the run span = 601 made, 512 kept; the run span was the one made last.
		expect(trace.droppedSpans).toBe(601 - 512);
	});
});

describe("a collector that is down, failing or hanging", () => {
	/** Runs a whole report against `endpoint` and times the flush; nothing may throw. */
	async function exportTo(endpoint: string, timeoutMs?: number) {
		const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
		try {
			const trace = RunTrace.start(options(endpoint, { headers: "authorization=Bearer do-not-log", timeoutMs }));
			reportRun(trace, Date.now() - 2_000);
			const started = Date.now();
			await expect(trace.flush()).resolves.toBeUndefined();
			const lines = warn.mock.calls.map((call) => String(call[0]));
			return { trace, ms: Date.now() - started, lines };
		} finally {
			warn.mockRestore();
		}
	}

	it("an unreachable endpoint (a closed port): flush resolves quickly, one failure counted and logged", async () => {
		const { trace, ms, lines } = await exportTo(closedUrl);
		expect(trace.exportFailures).toBe(1);
		expect(ms).toBeLessThan(3_000);
		expect(lines).toHaveLength(1);
		expect(lines[0]).toContain("trace export failed");
		expect(lines[0]).not.toContain("do-not-log");
	});

	it("a collector answering 503: one failure counted, the spans it was sent were read", async () => {
		const endpoint = tagged();
		const { trace, lines } = await exportTo(`${endpoint}/status/503`);
		expect(trace.exportFailures).toBe(1);
		expect(lines).toHaveLength(1);
		expect(lines[0]).toContain('"status":503');
		const [sent] = (await received(endpoint)) as [ReceivedExport];
		expect(sent.status).toBe(503);
		expect(sent.spans).toHaveLength(5);
	});

	it("a collector that never answers: given up after the timeout", async () => {
		const { trace, ms, lines } = await exportTo(`${tagged()}/hang`, 300);
		expect(trace.exportFailures).toBe(1);
		expect(ms).toBeGreaterThanOrEqual(250);
		expect(ms).toBeLessThan(3_000);
		expect(lines).toHaveLength(1);
	});
});

describe("the receiver reads with the schema, so a wrong encoding fails", () => {
	const good = () => ({
		resourceSpans: [
			{
				resource: { attributes: [{ key: "service.name", value: { stringValue: "t" } }] },
				scopeSpans: [
					{
						scope: { name: "t" },
						spans: [
							{
								traceId: CALLER_TRACE,
								spanId: CALLER_SPAN,
								name: "x",
								kind: 1,
								startTimeUnixNano: "1718000000000000000",
								endTimeUnixNano: "1718000000000000001",
								attributes: [{ key: "n", value: { intValue: "5" } }],
								status: { code: 0 },
							},
						],
					},
				],
			},
		],
	});
	type Good = ReturnType<typeof good>;
	type Span = Good["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
	const withSpan = (change: (span: Record<string, unknown>) => void): Good => {
		const body = good();
		change(body.resourceSpans[0]?.scopeSpans[0]?.spans[0] as Span & Record<string, unknown>);
		return body;
	};
	const post = async (body: unknown, contentType = "application/json") => {
		const endpoint = tagged();
		const response = await fetch(`${endpoint}/v1/traces`, {
			method: "POST",
			headers: { "content-type": contentType },
			body: JSON.stringify(body),
		});
		await response.body?.cancel();
		const [record] = await received(endpoint);
		return { status: response.status, error: record?.error ?? "" };
	};

	it("takes a correct export", async () => {
		expect(await post(good())).toEqual({ status: 200, error: "" });
	});

	it.each([
		["base64 ids", (s: Record<string, unknown>) => Object.assign(s, { traceId: "S/kvNXezTaajzpKdDg5HNg==" }), "hex"],
		["a short span id", (s: Record<string, unknown>) => Object.assign(s, { spanId: "00f067aa" }), "16 hex digits"],
		["an enum by name", (s: Record<string, unknown>) => Object.assign(s, { kind: "SPAN_KIND_INTERNAL" }), ".kind"],
		[
			"a 64-bit integer as a number",
			(s: Record<string, unknown>) => Object.assign(s, { startTimeUnixNano: 5 }),
			".startTimeUnixNano",
		],
		[
			"snake_case keys",
			(s: Record<string, unknown>) => Object.assign(s, { start_time_unix_nano: "1" }),
			".start_time_unix_nano",
		],
		["an unknown field", (s: Record<string, unknown>) => Object.assign(s, { durationNano: "1" }), ".durationNano"],
		[
			"an attribute value without its type",
			(s: Record<string, unknown>) => Object.assign(s, { attributes: [{ key: "n", value: 5 }] }),
			"KeyValue.value",
		],
		[
			"an int attribute as a number",
			(s: Record<string, unknown>) => Object.assign(s, { attributes: [{ key: "n", value: { intValue: 5 } }] }),
			".intValue",
		],
	])("refuses %s", async (_name, change, where) => {
		const { status, error } = await post(withSpan(change));
		expect(status).toBe(400);
		expect(error).toContain(where);
	});

	it("refuses another content type", async () => {
		expect((await post(good(), "text/plain")).status).toBe(415);
	});
});
