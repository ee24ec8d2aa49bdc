import type { McpApproval } from "../protocol/mcp.ts";

/**
 * Whether a call to `tool` of `server` needs a person's approval before it runs (for the
 * approvals feature to call; nothing here waits for one). `never`: no tool does; `always`:
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
