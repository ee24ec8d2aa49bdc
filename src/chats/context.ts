import type { ModelMessage } from "ai";
import type { ChatMessage } from "../protocol/index.ts";

/** How much history a chat turn sees. */
export const CONTEXT_ROWS = 40;
const TOOL_NOTE_CHARS = 400;

/**
 * A chat's history as model messages: user and assistant text, with tool calls folded into
 * short notes on the assistant side. Consecutive messages of one role are merged and the
 * list starts with the user, which every provider accepts. Pure: history in, messages out.
 */
export function historyToMessages(
	rows: Pick<ChatMessage, "role" | "content" | "tool_name" | "tool_args">[],
): ModelMessage[] {
	const merged: { role: "user" | "assistant"; parts: string[] }[] = [];
	for (const row of rows) {
		const role = row.role === "user" ? "user" : "assistant";
		const text =
			row.role === "tool"
				? `[used ${row.tool_name}(${row.tool_args ?? ""}) → ${clip(row.content, TOOL_NOTE_CHARS)}]`
				: row.content;
		const last = merged.at(-1);
		if (last?.role === role) last.parts.push(text);
		else merged.push({ role, parts: [text] });
	}
	while (merged[0] && merged[0].role !== "user") merged.shift();
	return merged.map((m) => ({ role: m.role, content: m.parts.join("\n\n") }));
}

function clip(text: string, max: number): string {
	return text.length > max ? `${text.slice(0, max)}…` : text;
}
