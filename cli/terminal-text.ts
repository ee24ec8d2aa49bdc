/**
 * What the server says (a task's instruction and result, a model's words, an MCP server's tool
 * description, an error message), made safe to print on a terminal. Any user can write a task
 * another (an admin, the `agent` user) lists, and a model or an MCP server can say anything: a
 * control character printed raw could move the cursor, rewrite rows, retitle the window, write
 * the clipboard (OSC 52) or disguise a link (OSC 8). `--json` output is left as the server sent it
 * (JSON escapes control characters itself).
 */

/**
 * C0 controls but tab and newline (ESC, BEL, CR, backspace…), DEL and C1 controls, and the
 * bidirectional overrides and isolates that can make text read otherwise than it is.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what goes.
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

export function terminalSafe(text: string): string {
	return text.replace(UNSAFE, "");
}

/** Every string in a value (objects and arrays rebuilt), terminal-safe; nothing else changes. */
export function terminalSafeDeep<T>(value: T): T {
	if (typeof value === "string") return terminalSafe(value) as T;
	if (Array.isArray(value)) return value.map((item) => terminalSafeDeep(item)) as T;
	if (value !== null && typeof value === "object") {
		const out: Record<string, unknown> = {};
		for (const [key, item] of Object.entries(value)) out[terminalSafe(key)] = terminalSafeDeep(item);
		return out as T;
	}
	return value;
}
