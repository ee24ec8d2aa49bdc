import type { ModelMessage } from "ai";

/** A tool call the model made, as the loop runs it. `toolCallId` is the model's own id. */
export interface ToolCallRequest {
	toolCallId: string;
	toolName: string;
	input: unknown;
}

/**
 * The tool calls of the conversation's last model response that have no result yet: what a
 * run must do before it asks the model again (after a crash, or a person's decision).
 */
export function openToolCalls(messages: ModelMessage[]): ToolCallRequest[] {
	let last = -1;
	messages.forEach((m, i) => {
		if (m.role === "assistant") last = i;
	});
	const response = messages[last];
	if (response?.role !== "assistant" || typeof response.content === "string") return [];
	if (messages.slice(last + 1).some((m) => m.role === "user")) return [];
	const answered = new Set<string>();
	for (const m of messages.slice(last)) {
		if (typeof m.content === "string") continue;
		for (const part of m.content) {
			if (part.type === "tool-result" || (part.type as string) === "tool-error") {
				answered.add((part as { toolCallId: string }).toolCallId);
			}
		}
	}
	return response.content
		.filter((part) => part.type === "tool-call" && !part.providerExecuted && !answered.has(part.toolCallId))
		.map((part) => {
			const call = part as { toolCallId: string; toolName: string; input: unknown };
			return { toolCallId: call.toolCallId, toolName: call.toolName, input: call.input };
		});
}

/** A tool's output as the tool message the model reads next. */
export function toolResultMessage(call: ToolCallRequest, output: unknown): ModelMessage {
	return {
		role: "tool",
		content: [
			{
				type: "tool-result",
				toolCallId: call.toolCallId,
				toolName: call.toolName,
				output:
					typeof output === "string"
						? { type: "text", value: output }
						: { type: "json", value: JSON.parse(JSON.stringify(output ?? null)) },
			},
		],
	};
}
