/** Naming and scrubbing for MCP tools (pure: no I/O). */

export const MCP_TOOL_SEPARATOR = "__";

/** What the model calls a server's tool; characters providers refuse become `_`. */
export function agentToolName(server: string, toolName: string): string {
	return `${server}${MCP_TOOL_SEPARATOR}${toolName.replace(/[^a-zA-Z0-9_-]/g, "_")}`;
}

/** Removes every header value (API keys) from text that came back from a server. */
export function scrub(text: string, headers: Record<string, string>): string {
	let out = text;
	for (const value of Object.values(headers)) {
		if (value.length < 4) continue;
		for (const form of new Set([value, JSON.stringify(value).slice(1, -1)])) out = out.split(form).join("[redacted]");
	}
	return out;
}
