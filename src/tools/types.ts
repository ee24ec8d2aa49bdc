import type { z } from "zod";
import type { AgentConfig } from "../config.ts";
import type { Relay } from "../relay/relay.ts";

/** What a tool may use. Built per run; tests pass their own `fetch` and clock. */
export interface ToolContext {
	env: Env;
	/** The run's relay: events a tool causes (a follow-up task's status) leave with the run's. */
	relay: Relay;
	/** Whose workspace and tasks the tool acts on (the task's creator, or the chat's owner). */
	userId: string;
	/** The task being run, if any (follow-ups record it as their parent). */
	taskId?: string;
	/** Follow-up depth of the task being run (0 for tasks people create). */
	depth: number;
	chatId?: string;
	signal: AbortSignal;
	config: AgentConfig;
	fetch: typeof fetch;
	now: () => number;
}

/** An expected failure, returned to the model as a value (it can read it and adapt). */
export interface ToolFailure {
	error: string;
	[detail: string]: unknown;
}

export const fail = (error: string, details: Record<string, unknown> = {}): ToolFailure => ({ error, ...details });

export const isFailure = (value: unknown): value is ToolFailure =>
	typeof value === "object" && value !== null && typeof (value as ToolFailure).error === "string";

/** One tool: a name the model calls, a zod schema for its arguments, and what it does. */
export interface SparkyTool<Input extends z.ZodType = z.ZodType, Output = unknown> {
	name: string;
	description: string;
	input: Input;
	/**
	 * Running it twice does no more than running it once (a read, an overwrite, a keyed
	 * create). A call cut off by a crash runs again only if so; otherwise the model is told it
	 * may or may not have happened.
	 */
	idempotent: boolean;
	execute(input: z.output<Input>, ctx: ToolContext): Promise<Output | ToolFailure>;
}

export function defineTool<Input extends z.ZodType, Output>(
	tool: SparkyTool<Input, Output>,
): SparkyTool<Input, Output> {
	return tool;
}
