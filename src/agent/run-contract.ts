// The agent loop's contract (runtime.ts): what a caller passes in (limits, the conversation,
// tools, hooks for the checkpoint, decisions, budget and steering) and every way a run ends.
import type { LanguageModel, ModelMessage, ToolSet } from "ai";
import type { AgUiEvent } from "../protocol/index.ts";
import type { ClassifiedError } from "./errors.ts";
import type { TokenUsage } from "./model-step.ts";
import type { ToolCallRequest } from "./tool-calls.ts";

export interface AgentLimits {
	/** Steps (a model response and its tool calls) over the whole task, every attempt counted. */
	maxSteps: number;
	/** Running time over the whole task (time paused for a person doesn't count). */
	maxRunMs: number;
	/** Output tokens over the whole task (all steps, all attempts). */
	maxOutputTokens: number;
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
	/**
	 * The most one model call's prompt may hold (system, tools, messages; estimated tokens):
	 * before each call the messages are fitted into it (fit-prompt.ts), in the copy sent, never
	 * in the checkpoint. Unset: sent whole.
	 */
	contextTokens?: number;
	/**
	 * Asked right before each model call with the call's estimated size (its prompt, and output
	 * like the last call's): `go`, `pause` (the run stops here until a person decides; a budget),
	 * or `stop` (the run ends with `message`). Default: go. Written after a checkpoint.
	 */
	beforeModelCall?: (estimate: CallEstimate) => Promise<ModelCallDecision>;
	/** Told after each model call that returned (its tokens, whatever came of it). */
	afterModelCall?: (call: ModelCallRecord) => Promise<void>;
	/**
	 * Messages a person steered into the run since last asked (docs/agent.md, "Steering"):
	 * asked between steps, and once more before the run would end with its answer, so the
	 * model reads them at its next step. Default: none.
	 */
	steer?: () => Promise<ModelMessage[]>;
}

/** A model call about to be made, as far as it can be known before. */
export interface CallEstimate {
	/** The task's step number the call will be (1-based, over all attempts). */
	step: number;
	inputTokens: number;
	outputTokens: number;
}

export type ModelCallDecision = { kind: "go" } | { kind: "pause" } | { kind: "stop"; message: string };

/** A model call that was made. */
export interface ModelCallRecord {
	step: number;
	usage: TokenUsage;
	cachedInputTokens: number;
	reasoningTokens: number;
	ms: number;
	finishReason: string | undefined;
	failed: boolean;
}

export interface Common {
	/** Totals for the task: what earlier attempts spent plus this run. */
	usage: TokenUsage;
	steps: number;
	runMs: number;
	/** The assistant and tool messages this run added. */
	responseMessages: ModelMessage[];
}

export type AgentOutcome =
	/**
	 * `unsaved`: what the run added that is not checkpointed yet (its answer; the run's end writes it).
	 * `toolFailures`: the turn's tool calls that failed or were denied (countToolFailures).
	 */
	| ({ status: "completed"; text: string; unsaved: ModelMessage[]; toolFailures: number } & Common)
	/** A limit ended it; `text` is whatever answer it had reached. */
	| ({ status: "limit"; limit: "steps" | "time" | "output_tokens" | "budget"; message: string; text: string } & Common)
	| ({ status: "cancelled" } & Common)
	/** Stopped before `call` (or, without one, before a model call: a budget), which waits for a person's decision. */
	| ({ status: "paused"; call?: ToolCallRequest } & Common)
	| ({ status: "failed"; error: ClassifiedError } & Common);
