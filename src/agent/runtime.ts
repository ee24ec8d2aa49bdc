import { isStepCount, type LanguageModel, type ModelMessage, streamText, type ToolSet } from "ai";
import type { AgUiEvent } from "../protocol/index.ts";
import { AgUiTranslator } from "./ag-ui.ts";
import { type ClassifiedError, classifyError } from "./errors.ts";
import { openToolCalls, type ToolCallRequest, toolResultMessage } from "./tool-calls.ts";

export type { ToolCallRequest } from "./tool-calls.ts";

export interface AgentLimits {
	/** Steps (a model response and its tool calls) over the whole task, every attempt counted. */
	maxSteps: number;
	/** Running time over the whole task (time paused for a person doesn't count). */
	maxRunMs: number;
	/** Output tokens over the whole task (all steps, all attempts). */
	maxOutputTokens: number;
}

export interface TokenUsage {
	inputTokens: number;
	outputTokens: number;
}

/** What the task had used before this run (a resumed run counts on from there). */
export interface Spent {
	steps: number;
	usage: TokenUsage;
	runMs: number;
}

/** What to do with a tool call before it runs. */
export type CallDecision =
	| { kind: "run" }
	/** Answer it without running it (denied, expired, interrupted and not safe to repeat). */
	| { kind: "answer"; output: unknown }
	/** Stop the run here; it resumes from this call later (after a person decides). */
	| { kind: "pause" };

export interface RunAgentOptions {
	/** Unique per run: prefixes the AG-UI message ids it mints. */
	runId: string;
	model: LanguageModel;
	system: string;
	/** The conversation so far, including what earlier attempts added (the checkpoint). */
	messages: ModelMessage[];
	tools: ToolSet;
	limits: AgentLimits;
	/** Cancellation from outside (task cancelled, chat turn stopped). */
	signal: AbortSignal;
	onEvent: (event: AgUiEvent) => void;
	spent?: Spent;
	/**
	 * The checkpoint: called with the messages the run added since its last call, in one write,
	 * before anything that depends on them: before a tool call runs (that call's id comes as
	 * `inFlight`, marked in the same write), before a decision that may pause, before the next
	 * model call, and before the run returns. Two exceptions, both written later in the same
	 * transaction as what follows them: the result of a call that `canRepeat` (a crash before
	 * it is written runs that call again, which does no harm: it is still the one in flight)
	 * waits for the next write, and a completed run's answer (with those results) comes back
	 * as the outcome's `unsaved`, for the run's end to write with the task's status.
	 */
	onMessages?: (added: ModelMessage[], totals: Spent, inFlight?: string) => Promise<void>;
	/** Whether running this call again does no harm (an idempotent tool). Default: no. */
	canRepeat?: (call: ToolCallRequest) => boolean;
	/** Asked before each tool call runs. Default: run it. */
	decide?: (call: ToolCallRequest) => Promise<CallDecision>;
	/**
	 * Whether `decide` may write or pause for this call (an approval, a client's tool): the
	 * checkpoint is written first. Default: yes, for every call.
	 */
	decideMayPause?: (call: ToolCallRequest) => boolean;
	/** The run id whose events announced a tool call (an earlier attempt's, for a resumed call). */
	eventRunIdOf?: (toolCallId: string) => string;
}

interface Common {
	/** Totals for the task: what earlier attempts spent plus this run. */
	usage: TokenUsage;
	steps: number;
	runMs: number;
	/** The assistant and tool messages this run added. */
	responseMessages: ModelMessage[];
}

export type AgentOutcome =
	/** `unsaved`: what the run added that is not checkpointed yet (its answer; the run's end writes it). */
	| ({ status: "completed"; text: string; unsaved: ModelMessage[] } & Common)
	/** A limit ended it; `text` is whatever answer it had reached. */
	| ({ status: "limit"; limit: "steps" | "time" | "output_tokens"; message: string; text: string } & Common)
	| ({ status: "cancelled" } & Common)
	/** Stopped before `call`, which waits for a person's decision. */
	| ({ status: "paused"; call: ToolCallRequest } & Common)
	| ({ status: "failed"; error: ClassifiedError } & Common);

/**
 * One agent run: the multi-step tool loop, one model call per step. The model sees the
 * tools but doesn't run them: the loop does, one call at a time, so every response and every
 * result can be checkpointed before the next thing happens, and a call can wait for a
 * person. Every stream part becomes AG-UI events through `onEvent` as it happens. Never
 * throws: every ending is an outcome.
 */
export async function runAgent(options: RunAgentOptions): Promise<AgentOutcome> {
	const { limits } = options;
	const spent = options.spent ?? { steps: 0, usage: { inputTokens: 0, outputTokens: 0 }, runMs: 0 };
	const started = Date.now();
	const deadline = AbortSignal.timeout(Math.max(1, limits.maxRunMs - spent.runMs));
	const signal = AbortSignal.any([options.signal, deadline]);
	const translator = new AgUiTranslator(options.runId);
	const emit = (events: AgUiEvent[]) => {
		for (const event of events) options.onEvent(event);
	};

	const usage: TokenUsage = { ...spent.usage };
	let steps = spent.steps;
	const messages = [...options.messages];
	const added: ModelMessage[] = [];
	let finalText = "";
	const totals = (): Spent => ({ steps, usage: { ...usage }, runMs: spent.runMs + (Date.now() - started) });
	// Messages added since the last checkpoint write: written together with what comes next
	// (a call's in-flight mark), one write where there were two.
	let unsaved: ModelMessage[] = [];
	// Whether a crash could lose something in `unsaved` that a new attempt can't get back.
	let mustSave = false;
	const record = (more: ModelMessage[], { repeatable = false } = {}) => {
		messages.push(...more);
		added.push(...more);
		unsaved.push(...more);
		if (!repeatable) mustSave = true;
	};
	const save = async (inFlight?: string) => {
		if (unsaved.length === 0 && inFlight === undefined) return;
		const batch = unsaved;
		unsaved = [];
		mustSave = false;
		await options.onMessages?.(batch, totals(), inFlight);
	};
	const common = (): Common => ({ usage: { ...usage }, steps, runMs: totals().runMs, responseMessages: added });
	const declared = declarations(options.tools);

	try {
		let open = openToolCalls(messages);
		for (;;) {
			for (const call of open) {
				if (signal.aborted) break;
				if (options.decideMayPause?.(call) ?? true) await save();
				const decision = (await options.decide?.(call)) ?? { kind: "run" };
				if (decision.kind === "pause") {
					emit(translator.closeAll());
					await save();
					return { status: "paused", call, ...common() };
				}
				let output: unknown;
				if (decision.kind === "answer") output = decision.output;
				else {
					await save(call.toolCallId);
					output = await execute(options.tools, call, messages, signal);
				}
				if (signal.aborted) break;
				emit([translator.toolResult(call.toolCallId, output, options.eventRunIdOf?.(call.toolCallId))]);
				// An answer the gate gave is given again by a new attempt (the approval, the in-flight
				// mark are in D1); a repeatable call's result is got again by running it again.
				const repeatable = decision.kind === "answer" || (options.canRepeat?.(call) ?? false);
				record([toolResultMessage(call, output)], { repeatable });
			}
			// Results are written before the next model call, except those a new attempt gets back
			// by itself: they go with the next write.
			if (mustSave) await save();
			if (signal.aborted) break;
			if (steps >= limits.maxSteps) {
				await save();
				return limitOutcome(
					"steps",
					`stopped: the run reached its limit of ${limits.maxSteps} steps`,
					finalText,
					common(),
				);
			}
			if (usage.outputTokens >= limits.maxOutputTokens) {
				await save();
				return limitOutcome(
					"output_tokens",
					`stopped: the run used its ${limits.maxOutputTokens} output tokens`,
					finalText,
					common(),
				);
			}

			const step = await modelStep({
				model: options.model,
				system: options.system,
				messages,
				tools: declared,
				signal,
				maxOutputTokens: limits.maxOutputTokens - usage.outputTokens,
				onPart: (part) => emit(translator.translate(part)),
			});
			steps++;
			usage.inputTokens += step.usage.inputTokens;
			usage.outputTokens += step.usage.outputTokens;
			if (step.text.trim()) finalText = step.text.trim();
			if (step.failure !== undefined || signal.aborted) {
				emit(translator.closeAll());
				if (signal.aborted) break;
				return { status: "failed", error: classifyError(step.failure), ...common() };
			}
			if (step.finishReason === "interrupted") {
				// The provider's stream ended without its end-of-message signal (a cut connection, a
				// proxy timeout): what arrived is incomplete, so it is not an answer. Worth retrying.
				const message = "the model provider's stream ended before the response was complete";
				emit(translator.closeAll());
				return { status: "failed", error: { kind: "transient", message }, ...common() };
			}
			// Written before any of its tool calls runs (with the first call's in-flight mark): a crash
			// from there on resumes with them.
			record(step.responseMessages);
			open = openToolCalls(messages);
			if (step.finishReason === "length" || (open.length > 0 && usage.outputTokens >= limits.maxOutputTokens)) {
				await save();
				return limitOutcome(
					"output_tokens",
					`stopped: the run used its ${limits.maxOutputTokens} output tokens`,
					finalText,
					common(),
				);
			}
			// Calls the SDK answered itself with an error (a tool the run doesn't have, such as one of
			// an MCP server that could not be reached): the model reads why in its next step.
			if (open.length === 0 && step.responseMessages.some((m) => m.role === "tool")) continue;
			if (open.length === 0) return { status: "completed", text: finalText, unsaved, ...common() };
		}
	} catch (error) {
		emit(translator.closeAll());
		if (!signal.aborted) return { status: "failed", error: classifyError(error), ...(await saved(save, common)) };
	}
	emit(translator.closeAll());
	if (options.signal.aborted) return { status: "cancelled", ...(await saved(save, common)) };
	return limitOutcome(
		"time",
		`stopped: the run took longer than ${limits.maxRunMs / 1000} s`,
		finalText,
		await saved(save, common),
	);
}

/** The run's totals once what it added is written (a write that fails leaves the rest to the next attempt). */
async function saved(save: () => Promise<void>, common: () => Common): Promise<Common> {
	try {
		await save();
	} catch {
		// The run is ending anyway: its next attempt goes on from the last checkpoint that was written.
	}
	return common();
}

interface StepResult {
	text: string;
	finishReason: string | undefined;
	usage: TokenUsage;
	responseMessages: ModelMessage[];
	failure?: unknown;
}

/** One model call, streamed. Its tool calls come back unrun (the tools are declarations). */
async function modelStep(options: {
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
		responseMessages: [],
	};
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
				step.finishReason = part.finishReason;
			} else if (part.type === "error") step.failure ??= part.error;
		}
		if (step.failure === undefined && !options.signal.aborted) step.responseMessages = await result.responseMessages;
	} catch (error) {
		if (!options.signal.aborted) step.failure ??= error;
	}
	return step;
}

/** The tools as the model sees them: name, description, input schema, and no `execute`. */
function declarations(tools: ToolSet): ToolSet {
	return Object.fromEntries(Object.entries(tools).map(([name, t]) => [name, { ...t, execute: undefined }])) as ToolSet;
}

async function execute(
	tools: ToolSet,
	call: ToolCallRequest,
	messages: ModelMessage[],
	signal: AbortSignal,
): Promise<unknown> {
	const tool = tools[call.toolName];
	if (!tool?.execute) return { error: `unknown tool ${call.toolName}` };
	return tool.execute(call.input as never, { toolCallId: call.toolCallId, messages, abortSignal: signal } as never);
}

function limitOutcome(
	limit: "steps" | "time" | "output_tokens",
	message: string,
	text: string,
	common: Common,
): AgentOutcome {
	return { status: "limit", limit, message, text, ...common };
}
