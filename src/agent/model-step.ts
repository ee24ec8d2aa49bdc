import { isStepCount, type LanguageModel, type ModelMessage, streamText, type ToolSet } from "ai";
import type { AgUiTranslator } from "./ag-ui.ts";
import { rewordToolErrors, toolErrorText } from "./tool-calls.ts";

export interface TokenUsage {
	inputTokens: number;
	outputTokens: number;
}

export interface StepResult {
	text: string;
	finishReason: string | undefined;
	usage: TokenUsage;
	/** Parts of `usage` the provider reported: input read from its prompt cache, output spent reasoning. */
	detail: { cachedInputTokens: number; reasoningTokens: number };
	/** How long the call took, in milliseconds. */
	ms: number;
	responseMessages: ModelMessage[];
	failure?: unknown;
}

/** One model call, streamed. Its tool calls come back unrun (the tools are declarations). */
export async function modelStep(options: {
	model: LanguageModel;
	system: string;
	messages: ModelMessage[];
	tools: ToolSet;
	signal: AbortSignal;
	maxOutputTokens: number;
	onPart: (part: Parameters<AgUiTranslator["translate"]>[0]) => void;
}): Promise<StepResult> {
	const step: StepResult = {
		text: "",
		finishReason: undefined,
		usage: { inputTokens: 0, outputTokens: 0 },
		detail: { cachedInputTokens: 0, reasoningTokens: 0 },
		ms: 0,
		responseMessages: [],
	};
	const started = Date.now();
	// The SDK's own answers to tool calls (an unknown tool, input that failed its schema), in words.
	const toolErrors = new Map<string, string>();
	try {
		const result = streamText({
			model: options.model,
			system: options.system,
			messages: options.messages,
			tools: options.tools,
			abortSignal: options.signal,
			// Retries happen at the task level, with backoff between attempts.
			maxRetries: 0,
			maxOutputTokens: options.maxOutputTokens,
			stopWhen: isStepCount(1),
			onError: () => {}, // errors arrive as stream parts; handled below
		});
		for await (const part of result.stream) {
			options.onPart(part);
			if (part.type === "text-delta") step.text += part.text;
			else if (part.type === "finish-step") {
				step.usage.inputTokens += part.usage.inputTokens ?? 0;
				step.usage.outputTokens += part.usage.outputTokens ?? 0;
				step.detail.cachedInputTokens += part.usage.inputTokenDetails?.cacheReadTokens ?? 0;
				step.detail.reasoningTokens += part.usage.outputTokenDetails?.reasoningTokens ?? 0;
				step.finishReason = part.finishReason;
			} else if (part.type === "error") step.failure ??= part.error;
			else if (part.type === "tool-error") toolErrors.set(part.toolCallId, toolErrorText(part.error, part.toolName));
		}
		if (step.failure === undefined && !options.signal.aborted)
			step.responseMessages = rewordToolErrors(await result.responseMessages, toolErrors);
	} catch (error) {
		if (!options.signal.aborted) step.failure ??= error;
	}
	step.ms = Date.now() - started;
	return step;
}

/** The tools as the model sees them: name, description, input schema, and no `execute`. */
export function declarations(tools: ToolSet): ToolSet {
	return Object.fromEntries(Object.entries(tools).map(([name, t]) => [name, { ...t, execute: undefined }])) as ToolSet;
}
