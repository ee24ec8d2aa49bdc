import type { ModelCallRecord } from "../agent/runtime.ts";
import { type AgUiEvent, EventType } from "../protocol/index.ts";
import type { TaskRow } from "../storage/tasks.ts";
import { otelConfig } from "../telemetry/config.ts";
import { RunTrace } from "../telemetry/run-trace.ts";

/**
 * A run attempt as an OpenTelemetry trace (docs/usage.md, "Tracing"): the queue wait, the
 * attempt, each model call (from the run's spending) and each tool call (from its events).
 * Off (and free) without SPARKY_OTEL_ENDPOINT. The export leaves after the run through
 * `waitUntil`: it never delays the run's end, and never fails it.
 */
export class RunTracing {
	readonly #trace: RunTrace;
	/** Tool calls started and not yet answered: id → name, start. */
	readonly #tools = new Map<string, { name: string; startMs: number }>();

	constructor(env: Env, task: TaskRow, startedAt: number) {
		this.#trace = RunTrace.start({
			...otelConfig(env),
			traceparent: task.traceparent ?? undefined,
			taskId: task.id,
			attempt: task.attempts,
			userId: task.user_id,
		});
		if (this.#trace.enabled) this.#trace.queueWait(task.enqueued_at ?? task.created_at, startedAt);
	}

	runStarted(at: number, model: string): void {
		this.#trace.runStarted(at, model);
	}

	modelCall(call: ModelCallRecord, model: string, costUsd: number | null, endMs: number): void {
		this.#trace.modelCall({
			model,
			startMs: endMs - call.ms,
			endMs,
			inputTokens: call.usage.inputTokens,
			outputTokens: call.usage.outputTokens,
			cachedInputTokens: call.cachedInputTokens,
			reasoningTokens: call.reasoningTokens,
			costUsd,
			finishReason: call.finishReason,
			...(call.failed ? { error: "the model call failed" } : {}),
		});
	}

	/** The run's events: a tool call's span is its start to its result. */
	observe(event: AgUiEvent, at: number): void {
		if (!this.#trace.enabled) return;
		if (event.type === EventType.TOOL_CALL_START) {
			this.#tools.set(event.toolCallId, { name: event.toolCallName, startMs: at });
		} else if (event.type === EventType.TOOL_CALL_RESULT) {
			const started = this.#tools.get(event.toolCallId);
			if (!started) return;
			this.#tools.delete(event.toolCallId);
			const error = toolError(event.content);
			this.#trace.toolCall({
				name: started.name,
				callId: event.toolCallId,
				startMs: started.startMs,
				endMs: at,
				...(error ? { error } : {}),
			});
		}
	}

	/** Ends the attempt's span and sends the trace (handed to `waitUntil`; never rejects). */
	ended(at: number, status: string, error: string | undefined, waitUntil?: (p: Promise<unknown>) => void): void {
		if (!this.#trace.enabled) return;
		this.#trace.runEnded(at, status, error);
		const sent = this.#trace.flush();
		if (waitUntil) waitUntil(sent);
	}
}

/** A tool result that is an error value (`{error: "…"}`): the span says so. */
function toolError(content: unknown): string | undefined {
	if (typeof content !== "string" || !content.startsWith('{"error"')) return undefined;
	try {
		const parsed = JSON.parse(content) as { error?: unknown };
		return typeof parsed.error === "string" ? parsed.error : undefined;
	} catch {
		return undefined;
	}
}
