// A real run's trace (issue #26): the runner with the real OpenAI-compatible adapter against the
// fake LLM server, exporting to the OTLP receiver that reads with opentelemetry-proto's schema.
import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { resolveModel } from "../../src/agent/models.ts";
import { runClaimedTask } from "../../src/runner/run-task.ts";
import { api, json, newUser } from "../support/api.ts";
import type { ReceivedExport } from "../support/otlp-receiver.ts";
import { claimed, queuedTask, reload } from "../support/tasks.ts";

const fakeUrl = inject("fakeLlmUrl");
const receiverUrl = inject("otlpReceiverUrl");
const closedUrl = inject("otlpClosedUrl");
const LABEL = "openai-compatible:tool-then-answer";
const CALLER = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

function runEnv(endpoint: string): Env {
	return {
		...env,
		SPARKY_OPENAI_COMPAT_BASE_URL: `${fakeUrl}/openai/v1`,
		SPARKY_OPENAI_COMPAT_API_KEY: "test-key-trace",
		SPARKY_MODEL_PRICES: JSON.stringify({ [LABEL]: { input: 2, output: 8 } }),
		SPARKY_OTEL_ENDPOINT: endpoint,
	};
}

async function runTraced(endpoint: string, traceparent: string | null) {
	const user = await newUser();
	const task = await queuedTask(user.id, { instruction: "What is in my workspace?", traceparent });
	const held = await claimed(task);
	const pending: Promise<unknown>[] = [];
	const result = await runClaimedTask(runEnv(endpoint), held.row, held.owner, {
		model: resolveModel(runEnv(endpoint), LABEL),
		publish: async () => {},
		waitUntil: (p) => void pending.push(p),
	});
	return { user, task, result, pending };
}

async function received(tag: string): Promise<ReceivedExport[]> {
	const response = await fetch(`${receiverUrl}/__received?tag=${encodeURIComponent(tag)}`);
	return ((await response.json()) as { received: ReceivedExport[] }).received;
}

describe("a run's trace", () => {
	it("joins the caller's trace: the attempt, its queue wait, each model call with GenAI usage and cost, each tool", async () => {
		const tag = crypto.randomUUID();
		const { task, result, pending } = await runTraced(`${receiverUrl}/t/${tag}`, CALLER);
		expect(result).toEqual({ kind: "done", status: "succeeded" });
		expect(pending).toHaveLength(1);
		await Promise.all(pending);
		const [exported] = await received(tag);
		expect(exported?.status).toBe(200);
		const spans = exported?.spans ?? [];
		expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set(["4bf92f3577b34da6a3ce929d0e0e4736"]));
		const run = spans.find((s) => s.name === "invoke_agent sparky");
		expect(run?.parentSpanId).toBe("00f067aa0ba902b7");
		const names = spans.filter((s) => s !== run).map((s) => s.name);
		expect(names.sort()).toEqual(
			["chat tool-then-answer", "chat tool-then-answer", "execute_tool list_files", "queue wait"].sort(),
		);
		for (const span of spans.filter((s) => s !== run)) expect(span.parentSpanId).toBe(run?.spanId);
		const calls = spans.filter((s) => s.name.startsWith("chat "));
		const tokens = calls.map((s) => [
			s.attributes["gen_ai.usage.input_tokens"]?.intValue,
			s.attributes["gen_ai.usage.output_tokens"]?.intValue,
		]);
		expect(tokens).toEqual(
			expect.arrayContaining([
				["120", "30"],
				["200", "25"],
			]),
		);
		expect(calls[0]?.attributes["gen_ai.request.model"]?.stringValue).toBe("tool-then-answer");
		expect(calls[0]?.attributes["gen_ai.provider.name"]?.stringValue).toBe("openai-compatible");
		expect(calls.every((s) => (s.attributes["sparky.cost_usd"]?.doubleValue ?? 0) > 0)).toBe(true);
		expect(run?.attributes["sparky.task_id"]?.stringValue).toBe(task.id);
		// The trace id is on the task.
		const row = await reload(task.id);
		expect(row.traceparent).toBe(CALLER);
	});

	it("an unreachable collector changes nothing for the run", async () => {
		const { task, result, pending } = await runTraced(closedUrl, CALLER);
		expect(result).toEqual({ kind: "done", status: "succeeded" });
		await expect(Promise.all(pending)).resolves.toBeDefined();
		expect((await reload(task.id)).status).toBe("succeeded");
	});

	it("a task made with a traceparent shows its trace id; a malformed one is ignored", async () => {
		const user = await newUser();
		const made = await api("/api/tasks", {
			token: user.token,
			headers: { traceparent: CALLER },
			body: { instruction: "trace me", allow_duplicates: true },
		});
		const { task } = await json<{ task: { id: string; trace_id?: string } }>(made);
		expect(task.trace_id).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
		const bad = await api("/api/tasks", {
			token: user.token,
			headers: { traceparent: "00-zz-00f067aa0ba902b7-01" },
			body: { instruction: "trace me too" },
		});
		expect(bad.status).toBe(201);
		expect((await json<{ task: { trace_id?: string } }>(bad)).task.trace_id).toBeUndefined();
	});
});
