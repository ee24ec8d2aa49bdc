import type { ModelCallUsage } from "../protocol/index.ts";
import type { CallUsage } from "./timeline-items.ts";

/** How agent events' values read as a thread's item fields: ids, streamed text, tool results, model-call usage. */

/**
 * A model call's item id: `<task>:call:<step>` (a step is numbered once over all the task's
 * attempts); a chat's summary call (step 0, compaction: there may be several) by its event id.
 */
export function usageItemId(taskId: string, step: number, eventId: string): string {
	return step > 0 ? `${taskId}:call:${step}` : `${taskId}:call:0:${eventId}`;
}

/** A `sparky.usage` value as a usage item's fields. */
export function usageOf(u: ModelCallUsage, runId: string): CallUsage {
	return {
		step: u.step,
		runId,
		model: u.model,
		inputTokens: u.input_tokens,
		outputTokens: u.output_tokens,
		cachedInputTokens: u.cached_input_tokens,
		reasoningTokens: u.reasoning_tokens,
		costUsd: u.cost_usd,
		taskCostUsd: u.task_cost_usd,
		ms: u.ms,
	};
}

export function joinDeltas(deltas: Map<number, string> | undefined): string {
	if (!deltas) return "";
	return [...deltas.entries()]
		.sort((a, b) => a[0] - b[0])
		.map(([, d]) => d)
		.join("");
}

/** A tool result is an error when it is a JSON object with a string `error`. */
export function isErrorResult(result: string | undefined): boolean {
	if (!result?.startsWith("{")) return false;
	try {
		const parsed = JSON.parse(result) as { error?: unknown };
		return typeof parsed.error === "string";
	} catch {
		return false;
	}
}
