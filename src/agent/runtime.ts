import { isStepCount, type LanguageModel, type ModelMessage, type StopCondition, streamText, type ToolSet } from "ai";
import type { AgUiEvent } from "../protocol/index.ts";
import { AgUiTranslator } from "./ag-ui.ts";
import { type ClassifiedError, classifyError } from "./errors.ts";

export interface AgentLimits {
	maxSteps: number;
	maxRunMs: number;
	/** Output tokens over the whole run (all steps). */
	maxOutputTokens: number;
}

export interface RunAgentOptions {
	/** Unique per run: prefixes the AG-UI message ids it mints. */
	runId: string;
	model: LanguageModel;
	system: string;
	messages: ModelMessage[];
	tools: ToolSet;
	limits: AgentLimits;
	/** Cancellation from outside (task cancelled, chat turn stopped). */
	signal: AbortSignal;
	onEvent: (event: AgUiEvent) => void;
}

export interface TokenUsage {
	inputTokens: number;
	outputTokens: number;
}

interface Common {
	usage: TokenUsage;
	steps: number;
	/** The assistant and tool messages of this run (for a chat's history). */
	responseMessages: ModelMessage[];
}

export type AgentOutcome =
	| ({ status: "completed"; text: string } & Common)
	/** A per-run limit ended it; `text` is whatever answer it had reached. */
	| ({ status: "limit"; limit: "steps" | "time" | "output_tokens"; message: string; text: string } & Common)
	| ({ status: "cancelled" } & Common)
	| ({ status: "failed"; error: ClassifiedError } & Common);

/**
 * One agent run: the AI SDK's multi-step tool loop, streamed. Every stream part becomes
 * AG-UI events through `onEvent` as it happens. Never throws: every ending is an outcome.
 */
export async function runAgent(options: RunAgentOptions): Promise<AgentOutcome> {
	const { limits } = options;
	const deadline = AbortSignal.timeout(limits.maxRunMs);
	const signal = AbortSignal.any([options.signal, deadline]);
	const translator = new AgUiTranslator(options.runId);
	const emit = (events: AgUiEvent[]) => {
		for (const event of events) options.onEvent(event);
	};

	const usage: TokenUsage = { inputTokens: 0, outputTokens: 0 };
	let steps = 0;
	let lastFinish: string | undefined;
	let stepText = "";
	let finalText = "";
	let failure: unknown;
	let responseMessages: ModelMessage[] = [];
	const overBudget: StopCondition<ToolSet> = () => usage.outputTokens >= limits.maxOutputTokens;

	try {
		const result = streamText({
			model: options.model,
			system: options.system,
			messages: options.messages,
			tools: options.tools,
			abortSignal: signal,
			// Retries happen at the task level, with backoff between attempts.
			maxRetries: 0,
			maxOutputTokens: limits.maxOutputTokens,
			stopWhen: [isStepCount(limits.maxSteps), overBudget],
			onError: () => {}, // errors arrive as stream parts; handled below
		});
		for await (const part of result.stream) {
			emit(translator.translate(part));
			if (part.type === "start-step") stepText = "";
			else if (part.type === "text-delta") stepText += part.text;
			else if (part.type === "finish-step") {
				steps++;
				usage.inputTokens += part.usage.inputTokens ?? 0;
				usage.outputTokens += part.usage.outputTokens ?? 0;
				lastFinish = part.finishReason;
				if (stepText.trim()) finalText = stepText.trim();
			} else if (part.type === "error") failure ??= part.error;
		}
		if (!failure && !signal.aborted) responseMessages = await result.responseMessages;
	} catch (error) {
		if (!signal.aborted) failure ??= error;
	}
	emit(translator.closeAll());

	const common = { usage, steps, responseMessages };
	if (options.signal.aborted) return { status: "cancelled", ...common };
	if (deadline.aborted) {
		return limitOutcome("time", `stopped: the run took longer than ${limits.maxRunMs / 1000} s`, finalText, common);
	}
	if (failure !== undefined) return { status: "failed", error: classifyError(failure), ...common };
	if (lastFinish === "interrupted") {
		// The provider's stream ended without its end-of-message signal (a cut connection, a
		// proxy timeout): what arrived is incomplete, so it is not an answer. Worth retrying.
		const message = "the model provider's stream ended before the response was complete";
		return { status: "failed", error: { kind: "transient", message }, ...common };
	}
	if (lastFinish === "length" || (lastFinish === "tool-calls" && usage.outputTokens >= limits.maxOutputTokens)) {
		return limitOutcome(
			"output_tokens",
			`stopped: the run used its ${limits.maxOutputTokens} output tokens`,
			finalText,
			common,
		);
	}
	if (lastFinish === "tool-calls") {
		return limitOutcome("steps", `stopped: the run reached its limit of ${limits.maxSteps} steps`, finalText, common);
	}
	return { status: "completed", text: finalText, ...common };
}

function limitOutcome(
	limit: "steps" | "time" | "output_tokens",
	message: string,
	text: string,
	common: Common,
): AgentOutcome {
	return { status: "limit", limit, message, text, ...common };
}
