import type { ModelMessage, ToolSet } from "ai";
import type { AgUiEvent } from "../protocol/index.ts";
import { AgUiTranslator } from "./ag-ui.ts";
import { classifyError } from "./errors.ts";
import { fitMessages } from "./fit-prompt.ts";
import { declarations, modelStep, type StepResult, type TokenUsage } from "./model-step.ts";
import { messagesTokens, systemTokens, toolsTokens } from "./prompt-size.ts";
import type {
	AgentLimits,
	AgentOutcome,
	CallDecision,
	CallEstimate,
	Common,
	RunAgentOptions,
	Spent,
} from "./run-contract.ts";
import { countToolFailures, openToolCalls, type ToolCallRequest, toolResultMessage } from "./tool-calls.ts";

export type { TokenUsage } from "./model-step.ts";
export type {
	AgentLimits,
	AgentOutcome,
	CallDecision,
	CallEstimate,
	ModelCallDecision,
	ModelCallRecord,
	RunAgentOptions,
	Spent,
} from "./run-contract.ts";
export type { ToolCallRequest } from "./tool-calls.ts";

/**
 * One agent run: the multi-step tool loop, one model call per step. The model sees the
 * tools but doesn't run them: the loop does, one call at a time, so every response and every
 * result can be checkpointed before the next thing happens, and a call can wait for a
 * person. Every stream part becomes AG-UI events through `onEvent` as it happens. Never
 * throws: every ending is an outcome.
 */
export function runAgent(options: RunAgentOptions): Promise<AgentOutcome> {
	return new AgentLoop(options).run();
}

/**
 * The loop's state (counters, the conversation, what is not checkpointed yet) and its steps:
 * `runCalls` (decide, then `execute` or `pause`), `limitBeforeStep`, `step` (one model call),
 * `checkpoint` (one write), `stopped` (cancelled or out of time).
 */
class AgentLoop {
	readonly #options: RunAgentOptions;
	readonly #limits: AgentLimits;
	/** What the task had used before this run. */
	readonly #spent: Spent;
	readonly #started = Date.now();
	/** The caller's signal, or the run's time limit. */
	readonly #signal: AbortSignal;
	readonly #translator: AgUiTranslator;
	/** The tools as the model sees them (no `execute`). */
	readonly #declared: ToolSet;
	/** The conversation the model sees: what came in, then what this run added. */
	readonly #messages: ModelMessage[];
	/** What this run added (the outcome's `responseMessages`). */
	readonly #added: ModelMessage[] = [];
	/** Totals for the task, this run included. */
	readonly #usage: TokenUsage;
	#steps: number;
	#finalText = "";
	/**
	 * Messages added since the last checkpoint write: written together with what comes next
	 * (a call's in-flight mark), one write where there were two.
	 */
	#unsaved: ModelMessage[] = [];
	/** Whether a crash could lose something in `unsaved` that a new attempt can't get back. */
	#mustSave = false;
	/** The system prompt's and the tool declarations' tokens, measured at the first call. */
	#fixedTokens: number | undefined;
	/** The last model call's output tokens (the next call's estimate). */
	#lastOutputTokens: number | undefined;

	constructor(options: RunAgentOptions) {
		const spent = options.spent ?? { steps: 0, usage: { inputTokens: 0, outputTokens: 0 }, runMs: 0 };
		const deadline = AbortSignal.timeout(Math.max(1, options.limits.maxRunMs - spent.runMs));
		this.#options = options;
		this.#limits = options.limits;
		this.#spent = spent;
		this.#signal = AbortSignal.any([options.signal, deadline]);
		this.#translator = new AgUiTranslator(options.runId);
		this.#usage = { ...spent.usage };
		this.#steps = spent.steps;
		this.#messages = [...options.messages];
		this.#declared = declarations(options.tools);
	}

	async run(): Promise<AgentOutcome> {
		try {
			let open = openToolCalls(this.#messages);
			for (;;) {
				const paused = await this.#runCalls(open);
				if (paused) return paused;
				await this.#takeSteered();
				// Results are written before the next model call, except those a new attempt gets back
				// by itself: they go with the next write.
				if (this.#mustSave) await this.#checkpoint();
				if (this.#signal.aborted) break;
				const limited = await this.#limitBeforeStep();
				if (limited) return limited;
				const next = await this.#step();
				if (next === "aborted") break;
				if (!Array.isArray(next)) {
					// An answer, but someone said more meanwhile: the model reads it and answers again.
					if (next.status === "completed" && (await this.#takeSteered())) {
						open = [];
						continue;
					}
					return next;
				}
				open = next;
			}
		} catch (error) {
			this.#emit(this.#translator.closeAll());
			if (!this.#signal.aborted) return { status: "failed", error: classifyError(error), ...(await this.#saved()) };
		}
		return this.#stopped();
	}

	/** Steered messages join the conversation (checkpointed before the next call); whether there were any. */
	async #takeSteered(): Promise<boolean> {
		if (this.#signal.aborted) return false;
		const steered = (await this.#options.steer?.()) ?? [];
		if (steered.length === 0) return false;
		this.#record(steered);
		return true;
	}

	/** The open tool calls, one at a time; the paused outcome if one must wait. */
	async #runCalls(open: ToolCallRequest[]): Promise<AgentOutcome | undefined> {
		for (const call of open) {
			if (this.#signal.aborted) return undefined;
			const decision = await this.#decide(call);
			if (decision.kind === "pause") return this.#pause(call);
			const output = decision.kind === "answer" ? decision.output : await this.#execute(call);
			if (this.#signal.aborted) return undefined;
			this.#emit([this.#translator.toolResult(call.toolCallId, output, this.#options.eventRunIdOf?.(call.toolCallId))]);
			// An answer the gate gave is given again by a new attempt (the approval, the in-flight
			// mark are in D1); a repeatable call's result is got again by running it again.
			const repeatable = decision.kind === "answer" || (this.#options.canRepeat?.(call) ?? false);
			this.#record([toolResultMessage(call, output)], { repeatable });
		}
		return undefined;
	}

	/** What to do with a call; one whose decision may write or pause is asked after a checkpoint. */
	async #decide(call: ToolCallRequest): Promise<CallDecision> {
		if (this.#options.decideMayPause?.(call) ?? true) await this.#checkpoint();
		return (await this.#options.decide?.(call)) ?? { kind: "run" };
	}

	/** Stops before `call`, which waits for a decision; the run resumes from it later. */
	async #pause(call: ToolCallRequest): Promise<AgentOutcome> {
		this.#emit(this.#translator.closeAll());
		await this.#checkpoint();
		return { status: "paused", call, ...this.#common() };
	}

	/** Runs a call, marked in flight by the checkpoint write right before it starts. */
	async #execute(call: ToolCallRequest): Promise<unknown> {
		await this.#checkpoint(call.toolCallId);
		return execute(this.#options.tools, call, this.#messages, this.#signal);
	}

	/** A limit the next model call would pass: what was added is written, and the run stops. */
	#limitBeforeStep(): Promise<AgentOutcome> | undefined {
		const { maxSteps, maxOutputTokens } = this.#limits;
		if (this.#steps >= maxSteps) return this.#limit("steps", `stopped: the run reached its limit of ${maxSteps} steps`);
		if (this.#usage.outputTokens >= maxOutputTokens) return this.#outputTokensSpent();
		return undefined;
	}

	/**
	 * One model call, streamed as AG-UI events, its response recorded. Then: the calls to run
	 * next, an outcome (completed, failed, out of output tokens), or `aborted`.
	 */
	async #step(): Promise<ToolCallRequest[] | AgentOutcome | "aborted"> {
		const messages = await this.#prompt();
		const maxOutputTokens = this.#limits.maxOutputTokens - this.#usage.outputTokens;
		const held = await this.#beforeCall(messages, maxOutputTokens);
		if (held) return held;
		const step = await modelStep({
			model: this.#options.model,
			system: this.#options.system,
			messages,
			tools: this.#declared,
			signal: this.#signal,
			maxOutputTokens,
			onPart: (part) => this.#emit(this.#translator.translate(part)),
		});
		this.#count(step);
		await this.#options.afterModelCall?.({
			step: this.#steps,
			usage: { ...step.usage },
			...step.detail,
			ms: step.ms,
			finishReason: step.finishReason,
			failed: step.failure !== undefined,
		});
		const unfinished = this.#unfinished(step);
		if (unfinished) return unfinished;
		// Written before any of its tool calls runs (with the first call's in-flight mark): a crash
		// from there on resumes with them.
		this.#record(step.responseMessages);
		const open = openToolCalls(this.#messages);
		if (step.finishReason === "length" || (open.length > 0 && this.#usage.outputTokens >= this.#limits.maxOutputTokens))
			return this.#outputTokensSpent();
		// Calls the SDK answered itself with an error (a tool the run doesn't have, such as one of
		// an MCP server that could not be reached): the model reads why in its next step.
		if (open.length === 0 && !step.responseMessages.some((m) => m.role === "tool"))
			return {
				status: "completed",
				text: this.#finalText,
				unsaved: this.#unsaved,
				toolFailures: countToolFailures(this.#messages),
				...this.#common(),
			};
		return open;
	}

	/** The budget's say before a model call: nothing (go on), or the outcome that holds the run here. */
	async #beforeCall(messages: ModelMessage[], maxOutputTokens: number): Promise<AgentOutcome | undefined> {
		const ask = this.#options.beforeModelCall;
		if (!ask) return undefined;
		const estimate: CallEstimate = {
			step: this.#steps + 1,
			inputTokens: (this.#fixedTokens ?? systemTokens(this.#options.system)) + messagesTokens(messages),
			// Like the last call's answer (a first call: a short one), never past what is left.
			outputTokens: Math.min(maxOutputTokens, this.#lastOutputTokens ?? 500),
		};
		const decision = await ask(estimate);
		if (decision.kind === "go") return undefined;
		await this.#checkpoint();
		if (decision.kind === "pause") return { status: "paused", ...this.#common() };
		return { status: "limit", limit: "budget", message: decision.message, text: this.#finalText, ...this.#common() };
	}

	/** The messages the next model call gets: within `contextTokens` with the system prompt and tools. */
	async #prompt(): Promise<ModelMessage[]> {
		const limit = this.#options.contextTokens;
		if (limit === undefined) return this.#messages;
		this.#fixedTokens ??= systemTokens(this.#options.system) + (await toolsTokens(this.#declared));
		const fitted = fitMessages(this.#messages, limit - this.#fixedTokens);
		if (fitted.tokens > limit - this.#fixedTokens)
			throw new Error(
				`the prompt does not fit the context budget of ${limit} tokens (SPARKY_CONTEXT_TOKENS): the system prompt and tool declarations take ${this.#fixedTokens}, the messages at least ${fitted.tokens}`,
			);
		return fitted.messages;
	}

	/** A step's tokens and text join the totals. */
	#count(step: StepResult): void {
		this.#steps++;
		this.#lastOutputTokens = step.usage.outputTokens;
		this.#usage.inputTokens += step.usage.inputTokens;
		this.#usage.outputTokens += step.usage.outputTokens;
		if (step.text.trim()) this.#finalText = step.text.trim();
	}

	/** A step that didn't complete (failed, aborted, cut off): its half-streamed messages are closed. */
	#unfinished(step: StepResult): AgentOutcome | "aborted" | undefined {
		if (step.failure !== undefined || this.#signal.aborted) {
			this.#emit(this.#translator.closeAll());
			if (this.#signal.aborted) return "aborted";
			return { status: "failed", error: classifyError(step.failure), ...this.#common() };
		}
		if (step.finishReason === "interrupted") {
			// The provider's stream ended without its end-of-message signal (a cut connection, a
			// proxy timeout): what arrived is incomplete, so it is not an answer. Worth retrying.
			const message = "the model provider's stream ended before the response was complete";
			this.#emit(this.#translator.closeAll());
			return { status: "failed", error: { kind: "transient", message }, ...this.#common() };
		}
		return undefined;
	}

	/** The loop was stopped: cancelled from outside, or out of time. */
	async #stopped(): Promise<AgentOutcome> {
		this.#emit(this.#translator.closeAll());
		if (this.#options.signal.aborted) return { status: "cancelled", ...(await this.#saved()) };
		const message = `stopped: the run took longer than ${this.#limits.maxRunMs / 1000} s`;
		return { status: "limit", limit: "time", message, text: this.#finalText, ...(await this.#saved()) };
	}

	#outputTokensSpent(): Promise<AgentOutcome> {
		return this.#limit("output_tokens", `stopped: the run used its ${this.#limits.maxOutputTokens} output tokens`);
	}

	async #limit(limit: "steps" | "output_tokens", message: string): Promise<AgentOutcome> {
		await this.#checkpoint();
		return { status: "limit", limit, message, text: this.#finalText, ...this.#common() };
	}

	/** Messages the run added; `repeatable`: a new attempt gets them back by itself, so they may wait. */
	#record(more: ModelMessage[], { repeatable = false } = {}): void {
		this.#messages.push(...more);
		this.#added.push(...more);
		this.#unsaved.push(...more);
		if (!repeatable) this.#mustSave = true;
	}

	/** One checkpoint write (`onMessages`): what was added since the last, and the call about to run. */
	async #checkpoint(inFlight?: string): Promise<void> {
		if (this.#unsaved.length === 0 && inFlight === undefined) return;
		const batch = this.#unsaved;
		this.#unsaved = [];
		this.#mustSave = false;
		await this.#options.onMessages?.(batch, this.#totals(), inFlight);
	}

	/** The run's totals once what it added is written (a write that fails leaves the rest to the next attempt). */
	async #saved(): Promise<Common> {
		try {
			await this.#checkpoint();
		} catch {
			// The run is ending anyway: its next attempt goes on from the last checkpoint that was written.
		}
		return this.#common();
	}

	#totals(): Spent {
		return { steps: this.#steps, usage: { ...this.#usage }, runMs: this.#spent.runMs + (Date.now() - this.#started) };
	}

	#common(): Common {
		return {
			usage: { ...this.#usage },
			steps: this.#steps,
			runMs: this.#totals().runMs,
			responseMessages: this.#added,
		};
	}

	#emit(events: AgUiEvent[]): void {
		for (const event of events) this.#options.onEvent(event);
	}
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
