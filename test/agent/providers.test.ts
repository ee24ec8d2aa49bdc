// The real AI SDK provider adapters (as resolveModel builds them) against a local fake server
// that speaks each provider's streaming wire format (test/support/fake-llm-server.ts). Proves
// the whole path: HTTP + SSE parsing in the adapter → streamText's tool loop with the real
// tools → Sparky's AG-UI translation → the run's outcome and its error classification.

import { env } from "cloudflare:workers";
import { EventSchemas } from "@ag-ui/core/schemas";
import { describe, expect, inject, it } from "vitest";
import { resolveModel } from "../../src/agent/models.ts";
import { systemPrompt } from "../../src/agent/prompt.ts";
import { type AgentOutcome, runAgent } from "../../src/agent/runtime.ts";
import { agentConfig } from "../../src/config.ts";
import { depsFor } from "../../src/deps.ts";
import type { AgUiEvent } from "../../src/protocol/index.ts";
import { WELCOME_README } from "../../src/storage/workspace.ts";
import { buildToolSet } from "../../src/tools/registry.ts";
import { newUser } from "../support/api.ts";
import {
	FAKE_IDS,
	FAKE_PARTIAL_TEXT,
	FAKE_REASONING,
	FAKE_THINKING_SIGNATURE,
	FAKE_USAGE,
	type RecordedRequest,
} from "../support/fake-llm-server.ts";

/** Distinctive, so a leak anywhere is easy to spot. */
const API_KEY = "test-key-3f9c2a71e5";
const fakeUrl = inject("fakeLlmUrl");

interface Adapter {
	provider: "openai-compatible" | "anthropic";
	/** The env a deployment would set to point Sparky at the (fake) provider. */
	env(base: string): Env;
	toolCallId: string;
}

const ADAPTERS: Adapter[] = [
	{
		provider: "openai-compatible",
		env: (base) => ({
			...env,
			SPARKY_OPENAI_COMPAT_BASE_URL: `${base}/openai/v1`,
			SPARKY_OPENAI_COMPAT_API_KEY: API_KEY,
		}),
		toolCallId: FAKE_IDS.openaiToolCall,
	},
	{
		provider: "anthropic",
		env: (base) => ({ ...env, ANTHROPIC_API_KEY: API_KEY, ANTHROPIC_BASE_URL: `${base}/anthropic/v1` }),
		toolCallId: FAKE_IDS.anthropicToolUse,
	},
];

let tagCounter = 0;

/** Runs the agent once against the fake, with the real tools for a fresh user. */
async function run(adapter: Adapter, script: string) {
	// A URL prefix per run tags its requests on the fake server, so parallel files don't mix.
	const tag = `${adapter.provider}-${script}-${Date.now().toString(36)}-${tagCounter++}`;
	const runEnv = adapter.env(`${fakeUrl}/t/${tag}`);
	const resolution = resolveModel(runEnv, `${adapter.provider}:${script}`);
	if (!resolution.ok) throw new Error(resolution.error);
	expect(resolution.resolved.label).toBe(`${adapter.provider}:${script}`);

	const user = await newUser();
	const config = agentConfig(runEnv);
	const signal = new AbortController().signal;
	const events: AgUiEvent[] = [];
	const outcome = await runAgent({
		runId: `run-${tag}`,
		model: resolution.resolved.model,
		system: systemPrompt({ userId: user.id, now: Date.now(), kind: "task" }),
		messages: [{ role: "user", content: "What is in my workspace?" }],
		tools: buildToolSet({
			env: runEnv,
			relay: depsFor(runEnv).relay,
			userId: user.id,
			depth: 0,
			signal,
			config,
			fetch,
			now: Date.now,
		}),
		limits: { maxSteps: config.maxSteps, maxRunMs: config.maxRunMs, maxOutputTokens: config.maxOutputTokens },
		signal,
		onEvent: (event) => events.push(event),
	});
	const res = await fetch(`${fakeUrl}/__requests?tag=${encodeURIComponent(tag)}`);
	const { requests } = (await res.json()) as { requests: RecordedRequest[] };
	return { outcome, events, requests };
}

const typesOf = (events: AgUiEvent[]) => events.map((e) => e.type);

/** Each event as it would be published (Sparky's envelope added) must be a valid AG-UI event. */
function expectValidAgUi(events: AgUiEvent[]) {
	events.forEach((event, i) => {
		const parsed = EventSchemas.safeParse({ ...event, seq: i + 1, id: `e${i + 1}`, ts: 1_700_000_000_000 + i });
		expect(parsed.success, `${event.type}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
	});
}

function expectNoKey(outcome: AgentOutcome, events: AgUiEvent[]) {
	expect(JSON.stringify(events)).not.toContain(API_KEY);
	expect(JSON.stringify(outcome)).not.toContain(API_KEY);
}

function failed(outcome: AgentOutcome) {
	if (outcome.status !== "failed") throw new Error(`expected failed, got ${JSON.stringify(outcome).slice(0, 500)}`);
	return outcome;
}

const readmeBytes = new TextEncoder().encode(WELCOME_README).length;
const expectedAnswer = `Your workspace has 1 file: README.md (${readmeBytes} bytes).`;

describe.each(ADAPTERS)("$provider adapter against the fake server", (adapter) => {
	it("streams reasoning, a list_files call, its result and the answer, in order", async () => {
		const { outcome, events, requests } = await run(adapter, "tool-then-answer");

		expect(typesOf(events)).toEqual([
			"REASONING_START",
			"REASONING_MESSAGE_START",
			...FAKE_REASONING.map(() => "REASONING_MESSAGE_CONTENT"),
			"REASONING_MESSAGE_END",
			"REASONING_END",
			"TOOL_CALL_START",
			"TOOL_CALL_ARGS",
			"TOOL_CALL_ARGS",
			"TOOL_CALL_END",
			"TOOL_CALL_RESULT",
			"TEXT_MESSAGE_START",
			"TEXT_MESSAGE_CONTENT",
			"TEXT_MESSAGE_CONTENT",
			"TEXT_MESSAGE_CONTENT",
			"TEXT_MESSAGE_END",
		]);
		expectValidAgUi(events);

		const reasoning = events.filter((e) => e.type === "REASONING_MESSAGE_CONTENT").map((e) => e.delta);
		expect(reasoning.join("")).toBe(FAKE_REASONING.join(""));

		const start = events.find((e) => e.type === "TOOL_CALL_START");
		// The provider's tool call id, namespaced by the run (ids in events are unique everywhere).
		const toolCallId = String(start?.toolCallId);
		expect(toolCallId).toMatch(new RegExp(`^run-.+:${adapter.toolCallId}$`));
		expect(start).toMatchObject({ toolCallName: "list_files" });
		const args = events.filter((e) => e.type === "TOOL_CALL_ARGS");
		expect(args.every((e) => e.toolCallId === toolCallId)).toBe(true);
		expect(JSON.parse(args.map((e) => e.delta).join(""))).toEqual({});
		const result = events.find((e) => e.type === "TOOL_CALL_RESULT");
		expect(result).toMatchObject({ toolCallId, role: "tool" });
		const listed = JSON.parse(result?.content as string) as { files: { path: string; size: number }[] };
		expect(listed.files).toEqual([expect.objectContaining({ path: "README.md", size: readmeBytes })]);

		// The answer quotes the tool result, so the result reached the model.
		const text = events.filter((e) => e.type === "TEXT_MESSAGE_CONTENT").map((e) => e.delta);
		expect(text.join("")).toBe(expectedAnswer);
		const textIds = new Set(
			events.filter((e) => e.type.startsWith("TEXT_MESSAGE")).map((e) => ("messageId" in e ? e.messageId : undefined)),
		);
		expect(textIds.size).toBe(1);

		expect(outcome).toMatchObject({
			status: "completed",
			text: expectedAnswer,
			steps: 2,
			usage: {
				inputTokens: FAKE_USAGE.toolStep.input + FAKE_USAGE.answerStep.input,
				outputTokens: FAKE_USAGE.toolStep.output + FAKE_USAGE.answerStep.output,
			},
		});
		expectNoKey(outcome, events);

		// What went over the wire: two calls, the tools defined, the key sent, the result returned.
		expect(requests).toHaveLength(2);
		const [first, second] = requests as [RecordedRequest, RecordedRequest];
		for (const request of requests) {
			expect(JSON.stringify(request)).not.toContain(API_KEY);
			expect(request.body).toMatchObject({ model: "tool-then-answer", stream: true });
		}
		if (adapter.provider === "openai-compatible") {
			expect(first.path).toBe("/openai/v1/chat/completions");
			expect(first.headers.authorization).toBe(`[redacted ${`Bearer ${API_KEY}`.length} chars]`);
			expect(first.body).toMatchObject({ stream_options: { include_usage: true } });
			const tools = (first.body as { tools: { type: string; function: { name: string; parameters: unknown } }[] })
				.tools;
			expect(tools.map((t) => t.function.name)).toContain("list_files");
			expect(tools.find((t) => t.function.name === "list_files")?.function.parameters).toMatchObject({
				type: "object",
				properties: { folder: { type: "string" } },
			});
			const messages = (second.body as { messages: Record<string, unknown>[] }).messages;
			expect(messages.at(-2)).toMatchObject({
				role: "assistant",
				reasoning_content: FAKE_REASONING.join(""),
				tool_calls: [{ id: adapter.toolCallId, type: "function", function: { name: "list_files", arguments: "{}" } }],
			});
			const toolMessage = messages.at(-1) as { role: string; tool_call_id: string; content: string };
			expect(toolMessage).toMatchObject({ role: "tool", tool_call_id: adapter.toolCallId });
			expect(JSON.parse(toolMessage.content)).toEqual(listed);
		} else {
			expect(first.path).toBe("/anthropic/v1/messages");
			expect(first.headers["x-api-key"]).toBe(`[redacted ${API_KEY.length} chars]`);
			expect(first.headers["anthropic-version"]).toBeTruthy();
			const tools = (first.body as { tools: { name: string; input_schema: unknown }[] }).tools;
			expect(tools.map((t) => t.name)).toContain("list_files");
			expect(tools.find((t) => t.name === "list_files")?.input_schema).toMatchObject({
				type: "object",
				properties: { folder: { type: "string" } },
			});
			const messages = (second.body as { messages: { role: string; content: Record<string, unknown>[] }[] }).messages;
			// The thinking block goes back with its signature, then the tool_use, then the result.
			expect(messages.at(-2)).toMatchObject({
				role: "assistant",
				content: [
					{ type: "thinking", thinking: FAKE_REASONING.join(""), signature: FAKE_THINKING_SIGNATURE },
					{ type: "tool_use", id: adapter.toolCallId, name: "list_files", input: {} },
				],
			});
			const last = messages.at(-1);
			expect(last?.role).toBe("user");
			const block = last?.content.find((b) => b.type === "tool_result");
			expect(block).toMatchObject({ type: "tool_result", tool_use_id: adapter.toolCallId });
			const content = block?.content;
			const resultText =
				typeof content === "string" ? content : (content as { text: string }[]).map((c) => c.text).join("");
			expect(JSON.parse(resultText)).toEqual(listed);
		}
	});

	it("rate-limited: a transient failure that says 429, with no events", async () => {
		const { outcome, events, requests } = await run(adapter, "rate-limited");
		const { error } = failed(outcome);
		expect(error.kind).toBe("transient");
		expect(error.message).toContain("429");
		expect(error.message).toMatch(/rate limit/i);
		expect(events).toEqual([]);
		// maxRetries is 0: retrying is the task queue's job, with backoff between attempts.
		expect(requests).toHaveLength(1);
		expectNoKey(outcome, events);
	});

	it("midstream-error: transient, and the partial text was streamed and closed", async () => {
		const { outcome, events } = await run(adapter, "midstream-error");
		const { error } = failed(outcome);
		expect(error.kind).toBe("transient");
		if (adapter.provider === "anthropic") expect(error.message).toMatch(/overloaded/i);
		else expect(error.message).toMatch(/server_error|server had an error/i);
		expect(typesOf(events)).toEqual([
			"TEXT_MESSAGE_START",
			...FAKE_PARTIAL_TEXT.map(() => "TEXT_MESSAGE_CONTENT"),
			"TEXT_MESSAGE_END",
		]);
		expect(
			events
				.filter((e) => e.type === "TEXT_MESSAGE_CONTENT")
				.map((e) => e.delta)
				.join(""),
		).toBe(FAKE_PARTIAL_TEXT.join(""));
		expectValidAgUi(events);
		expectNoKey(outcome, events);
	});

	it.each(["truncated", "connection-reset"])(
		"%s: a stream cut short is a failed run, not an answer",
		async (script) => {
			const { outcome, events } = await run(adapter, script);
			const { error } = failed(outcome);
			expect(error.kind).toBe("transient");
			expect(error.message).toMatch(/stream ended|broke off/);
			expect(error.message).not.toContain("HTTP 200");
			// The partial text was shown as it came, and closed.
			expect(typesOf(events)).toEqual([
				"TEXT_MESSAGE_START",
				...FAKE_PARTIAL_TEXT.map(() => "TEXT_MESSAGE_CONTENT"),
				"TEXT_MESSAGE_END",
			]);
			expectNoKey(outcome, events);
		},
	);

	it("bad-key: a permanent failure that never shows the key", async () => {
		const { outcome, events } = await run(adapter, "bad-key");
		const { error } = failed(outcome);
		expect(error.kind).toBe("permanent");
		expect(error.message).toContain("401");
		expect(error.message).not.toContain(API_KEY);
		expect(events).toEqual([]);
		expectNoKey(outcome, events);
	});
});

describe("openai-compatible in-stream errors without a type", () => {
	it("an error chunk with only a 5xx code (OpenRouter-style) is transient", async () => {
		const adapter = ADAPTERS[0] as Adapter;
		const { outcome, events } = await run(adapter, "midstream-error-untyped");
		const { error } = failed(outcome);
		expect(error.kind).toBe("transient");
		expect(error.message).toContain("Upstream provider disconnected");
		expect(typesOf(events).at(-1)).toBe("TEXT_MESSAGE_END");
	});
});
