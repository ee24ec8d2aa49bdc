/**
 * One tool of Sparky's own MCP server: its input and output (zod, published as JSON Schema),
 * its annotations, the scope a caller needs for it, and what it does. Results are structured
 * (`structuredContent`, checked against the output schema) and repeated as text.
 */
import type { z } from "zod";
import { SparkyError } from "../errors.ts";
import { log } from "../log.ts";
import { type AuthContext, ErrorCode, type McpScope } from "../protocol/index.ts";

/** The MCP tool annotations (spec 2025-06-18): hints a host shows or acts on, never trusted for safety. */
export interface ToolAnnotations {
	title: string;
	readOnlyHint: boolean;
	destructiveHint: boolean;
	idempotentHint: boolean;
	openWorldHint: boolean;
}

export interface SparkyMcpTool {
	name: string;
	description: string;
	input: z.ZodObject;
	output: z.ZodObject;
	annotations: ToolAnnotations;
	/** What a caller's token must allow (an OAuth app: the scopes its user approved). */
	scope: McpScope;
	run(args: never): Promise<Record<string, unknown>>;
}

/** Ties a tool's `run` to its own input and output types. */
export const defineTool = <I extends z.ZodObject, O extends z.ZodObject>(tool: {
	name: string;
	description: string;
	input: I;
	output: O;
	annotations: ToolAnnotations;
	scope: McpScope;
	run(args: z.output<I>): Promise<z.input<O>>;
}): SparkyMcpTool => tool as unknown as SparkyMcpTool;

/** What each tool's factory gets: the Worker's bindings and who calls. */
export interface ToolContext {
	env: Env;
	auth: AuthContext;
}

export type ToolAnswer = {
	content: { type: "text"; text: string }[];
	structuredContent?: Record<string, unknown>;
	isError?: boolean;
};

/** A domain error as a tool error result, in the API's one error shape. */
export function errorAnswer(error: SparkyError): ToolAnswer {
	return errorResult({
		code: error.code,
		message: error.message,
		...(error.details ? { details: error.details } : {}),
	});
}

function errorResult(error: { code: string; message: string; details?: unknown }): ToolAnswer {
	return { content: [{ type: "text", text: JSON.stringify({ error }) }], isError: true };
}

/**
 * Runs a tool: its value, cut to its output schema (so `structuredContent` is exactly what the
 * schema says), or a domain error as an error result. Anything else is a bug or an outage: it
 * goes to the log, and the caller gets `internal` without its text (the SDK would otherwise send
 * the message of a D1 or RPC error as the JSON-RPC error).
 */
export async function answer(tool: SparkyMcpTool, args: unknown): Promise<ToolAnswer> {
	try {
		const value = tool.output.parse(await tool.run(args as never)) as Record<string, unknown>;
		return { content: [{ type: "text", text: JSON.stringify(value) }], structuredContent: value };
	} catch (error) {
		if (error instanceof SparkyError) return errorAnswer(error);
		log.error("MCP tool failed", { tool: tool.name, error });
		return errorResult({ code: ErrorCode.internal, message: "internal error; try again" });
	}
}
