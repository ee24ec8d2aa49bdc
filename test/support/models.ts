import { APICallError, type LanguageModelV4StreamPart } from "@ai-sdk/provider";
import { MockLanguageModelV4 } from "ai/test";
import type { ModelResolution } from "../../src/agent/models.ts";

type ResolvedModel = Extract<ModelResolution, { ok: true }>["resolved"]["model"];

export const asResolution = (model: ResolvedModel, label = "test:mock"): ModelResolution => ({
	ok: true,
	resolved: { model, label },
});

const usage = (input: number, output: number) => ({
	inputTokens: { total: input, noCache: input, cacheRead: 0, cacheWrite: 0 },
	outputTokens: { total: output, text: output, reasoning: 0 },
});

export function stream(parts: LanguageModelV4StreamPart[]) {
	return {
		stream: new ReadableStream<LanguageModelV4StreamPart>({
			start(controller) {
				for (const part of parts) controller.enqueue(part);
				controller.close();
			},
		}),
	};
}

/** Streams `text` as its answer. */
export function textParts(text: string, outputTokens = 7): LanguageModelV4StreamPart[] {
	return [
		{ type: "stream-start", warnings: [] },
		{ type: "text-start", id: "t" },
		{ type: "text-delta", id: "t", delta: text },
		{ type: "text-end", id: "t" },
		{ type: "finish", usage: usage(11, outputTokens), finishReason: { unified: "stop", raw: "stop" } },
	];
}

export function toolCallParts(toolName: string, input: unknown, id = "call_1"): LanguageModelV4StreamPart[] {
	return [
		{ type: "stream-start", warnings: [] },
		{ type: "tool-call", toolCallId: id, toolName, input: JSON.stringify(input) },
		{ type: "finish", usage: usage(11, 5), finishReason: { unified: "tool-calls", raw: "tool_calls" } },
	];
}

export const providerError = (status: number, message = `HTTP ${status}`) =>
	new APICallError({ message, url: "https://provider.test/v1", requestBodyValues: {}, statusCode: status });

/** Fails with `error` for the first `failures` calls, then answers with text. */
export function flakyModel(failures: number, error: () => Error, answer = "done after retrying") {
	let calls = 0;
	return new MockLanguageModelV4({
		doStream: async () => {
			calls++;
			if (calls <= failures) throw error();
			return stream(textParts(answer));
		},
	});
}

/** Never finishes on its own: waits until its call is aborted. Records whether it was. */
export function hangingModel() {
	const state = { started: 0, aborted: 0 };
	const model = new MockLanguageModelV4({
		doStream: async ({ abortSignal }) => {
			state.started++;
			return {
				stream: new ReadableStream<LanguageModelV4StreamPart>({
					start(controller) {
						controller.enqueue({ type: "stream-start", warnings: [] });
						controller.enqueue({ type: "text-start", id: "t" });
						controller.enqueue({ type: "text-delta", id: "t", delta: "working on it" });
						abortSignal?.addEventListener("abort", () => {
							state.aborted++;
							controller.error(abortSignal.reason ?? new DOMException("aborted", "AbortError"));
						});
					},
				}),
			};
		},
	});
	return { model, state };
}

/** Calls `toolName` on every step, forever (for the step limit). */
export function loopingModel(toolName = "current_time") {
	let n = 0;
	return new MockLanguageModelV4({ doStream: async () => stream(toolCallParts(toolName, {}, `call_${++n}`)) });
}
