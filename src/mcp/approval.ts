import type { McpApproval } from "../protocol/mcp.ts";

/**
 * Whether a call to `tool` of `server` needs a person's approval before it runs. A run puts
 * the MCP tools this says yes for on the approval gate's list (src/runner/run-task.ts). `never`: no tool does; `always`:
 * every tool does; `auto` (the default): only tools the server annotates `readOnlyHint: true`
 * run at once. A missing or non-boolean hint counts as "may change things".
 */
export function mcpToolNeedsApproval(
	server: { approval: McpApproval },
	tool: { annotations?: { readOnlyHint?: unknown } | undefined },
): boolean {
	switch (server.approval) {
		case "never":
			return false;
		case "always":
			return true;
		default:
			return tool.annotations?.readOnlyHint !== true;
	}
}
