import type { ToolSet } from "ai";
import { loadMcpTools, MCP_SERVERS_EVENT, type McpRunTools } from "../mcp/tools.ts";
import { type AgUiEvent, type ClientTool, EventType } from "../protocol/index.ts";
import { ALL_TOOLS, buildToolSet } from "../tools/registry.ts";
import type { ToolContext } from "../tools/types.ts";
import { withClientTools } from "./client-tools.ts";

/** The owner's MCP servers for this run, and how long reaching them took (it counts as run time). */
export interface RunTools {
	mcp: McpRunTools;
	ms: number;
}

/**
 * The owner's MCP servers: reached and listed once per run; their tools join the built-ins,
 * and those their server's `approval` says need a person's approval join the gate's list.
 * Servers that couldn't be reached (or listed only in part, or wait for a sign-in) are
 * announced in one CUSTOM event, so a watcher knows why their tools are missing.
 */
export async function loadRunTools(
	env: Env,
	userId: string,
	options: { signal: AbortSignal; fetch?: typeof fetch; emit: (event: AgUiEvent) => void },
): Promise<RunTools> {
	const started = Date.now();
	const mcp = await loadMcpTools(env, userId, { signal: options.signal, fetch: options.fetch });
	const ms = Date.now() - started;
	const { unavailable, partial, needsSignIn } = mcp;
	if (unavailable.length > 0 || partial.length > 0 || needsSignIn.length > 0)
		options.emit({
			type: EventType.CUSTOM,
			name: MCP_SERVERS_EVENT,
			value: { unavailable, partial, ...(needsSignIn.length > 0 ? { needs_sign_in: needsSignIn } : {}) },
		});
	return { mcp, ms };
}

/** The built-in tools and the MCP servers', with the AG-UI client's own tools in place of any of the same name. */
export function runToolSet(mcpTools: ToolSet, clientTools: readonly ClientTool[], context: ToolContext): ToolSet {
	return withClientTools({ ...mcpTools, ...buildToolSet(context) }, clientTools);
}

/** Whether running a tool twice does no harm: the built-ins say so; MCP tools never count as such. */
export function isIdempotent(toolName: string): boolean {
	return ALL_TOOLS.find((t) => t.name === toolName)?.idempotent ?? false;
}
