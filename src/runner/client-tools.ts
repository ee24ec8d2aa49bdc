import { jsonSchema, type ToolSet, tool } from "ai";
import type { ClientTool } from "../protocol/index.ts";

/**
 * Sparky's tools plus the ones an AG-UI client runs itself. A client tool is a declaration
 * only (no `execute`): the approval gate pauses the run before its call, and the client's
 * next run brings the result. Sparky's own tool wins a name clash (the route refuses those).
 */
export function withClientTools(tools: ToolSet, clientTools: readonly ClientTool[]): ToolSet {
	const merged: ToolSet = {};
	for (const t of clientTools) {
		merged[t.name] = tool({
			description: t.description,
			inputSchema: jsonSchema({ type: "object", properties: {}, ...t.parameters } as Parameters<typeof jsonSchema>[0]),
		});
	}
	return { ...merged, ...tools };
}
