import { type Schema, type ToolSet, tool, zodSchema } from "ai";
import { log } from "../log.ts";
import { addTaskTool } from "./add-task.ts";
import { currentTimeTool } from "./current-time.ts";
import { deleteFileTool } from "./delete-file.ts";
import { forgetTool } from "./forget.ts";
import { httpFetchTool } from "./http-fetch.ts";
import { listFilesTool } from "./list-files.ts";
import { listTasksTool } from "./list-tasks.ts";
import { isOpaque } from "./network-error.ts";
import { readAttachmentTool } from "./read-attachment.ts";
import { readFileTool } from "./read-file.ts";
import { recallTool } from "./recall.ts";
import { rememberTool } from "./remember.ts";
import { saveToWorkspaceTool } from "./save-to-workspace.ts";
import type { SparkyTool, ToolContext } from "./types.ts";
import { writeFileTool } from "./write-file.ts";

/** Every tool the agent has. One file each; this list is the registry. */
export const ALL_TOOLS: SparkyTool[] = [
	listFilesTool,
	readFileTool,
	writeFileTool,
	deleteFileTool,
	httpFetchTool,
	addTaskTool,
	listTasksTool,
	currentTimeTool,
	rememberTool,
	recallTool,
	forgetTool,
	readAttachmentTool,
	saveToWorkspaceTool,
] as SparkyTool[];

/**
 * Each tool's input schema as the AI SDK wants it, made once per isolate. The SDK turns a
 * zod schema into JSON Schema on every model step unless it is given one it already built
 * (its `jsonSchema` getter remembers the conversion): that conversion was 7% of the Worker's
 * CPU in the 500-task burst (docs/benchmarks.md).
 */
const inputSchemas = new WeakMap<SparkyTool, Schema<unknown>>();
function inputSchemaOf(t: SparkyTool): Schema<unknown> {
	let schema = inputSchemas.get(t);
	if (!schema) {
		schema = zodSchema(t.input) as Schema<unknown>;
		inputSchemas.set(t, schema);
	}
	return schema;
}

/**
 * The AI SDK tool set for one run. The SDK validates the model's arguments against each
 * zod schema (a mismatch goes back to the model as a tool error); an unexpected exception
 * inside a tool also becomes a value for the model, never a crashed run.
 */
export function buildToolSet(ctx: ToolContext, tools: SparkyTool[] = ALL_TOOLS): ToolSet {
	return Object.fromEntries(
		tools.map((t) => [
			t.name,
			tool({
				description: t.description,
				inputSchema: inputSchemaOf(t),
				execute: async (input: unknown) => {
					try {
						return await t.execute(input, ctx);
					} catch (error) {
						if (ctx.signal.aborted) throw error;
						log.error("tool failed unexpectedly", { tool: t.name, userId: ctx.userId, taskId: ctx.taskId, error });
						return { error: `${t.name} failed: ${unexpectedText(error)}` };
					}
				},
			}),
		]),
	);
}

/** An unexpected exception in words: workerd's opaque one (no details) says what kind of thing failed. */
export function unexpectedText(error: unknown): string {
	const text = error instanceof Error ? error.message : String(error);
	if (isOpaque(text))
		return "the Workers runtime reported an internal error (a network or storage call failed; the server log has the details)";
	return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}
