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

/**
 * How many tool calls of the current turn (the messages after the last user message) failed:
 * a result that is an error (`{ error }`, as Sparky's tools, the approval gate and MCP return
 * them), or one the AI SDK answered itself (an unknown tool, input that failed its schema).
 */
export function countToolFailures(messages: ModelMessage[]): number {
	let lastUser = -1;
	messages.forEach((m, i) => {
		if (m.role === "user") lastUser = i;
	});
	let failures = 0;
	for (const m of messages.slice(lastUser + 1)) {
		if (m.role !== "tool" || typeof m.content === "string") continue;
		for (const part of m.content) {
			if ((part.type as string) === "tool-error") failures++;
			else if (part.type === "tool-result" && isFailedOutput(part.output)) failures++;
		}
	}
	return failures;
}

function isFailedOutput(output: { type: string; value?: unknown }): boolean {
	if (output.type === "error-text" || output.type === "error-json" || output.type === "execution-denied") return true;
	if (output.type !== "json" && output.type !== "text") return false;
	const value = output.value;
	return typeof value === "object" && value !== null && typeof (value as { error?: unknown }).error === "string";
}

/**
 * A tool call the AI SDK answered with an error, in words: never the library's error name
 * (`AI_NoSuchToolError: …`) or its internals (the list of every tool).
 */
export function toolErrorText(error: unknown, toolName?: string): string {
	const raw =
		typeof error === "string"
			? error
			: error instanceof Error
				? error.message
				: typeof error === "object" && error !== null && "message" in error
					? String(error.message)
					: (JSON.stringify(error) ?? "");
	const missing = /Model tried to call unavailable tool '([^']*)'/.exec(raw);
	if (missing) {
		return `no tool named ${missing[1] || toolName} is available in this run (a tool of an MCP server that is switched off, unreachable or removed, or a misspelt name)`;
	}
	const invalid = /Invalid input for tool ([^:]+):\s*([\s\S]*)$/.exec(raw);
	if (invalid) {
		const why = plainMessage(invalid[2] ?? "").replace(
			/^Type validation failed: Value: [\s\S]*?\. Error message: /,
			"",
		);
		return `the input for ${invalid[1]} doesn't match what it accepts${why ? `: ${why}` : ""}`;
	}
	return plainMessage(raw) || "the tool call failed";
}

/** A message without a leading library error name (`AI_TypeValidationError: …`), trimmed. */
export function plainMessage(text: string): string {
	const clean = text
		.replace(/\bAI_[A-Za-z]+Error:\s*/g, "")
		.replace(/\s+/g, " ")
		.trim();
	return clean.length > 500 ? `${clean.slice(0, 500)}…` : clean;
}

/**
 * The SDK's own answers to tool calls (`error-text` from `error.toString()`), rewritten in words
 * (`toolErrors`: the stream's `tool-error` parts, by call id).
 */
export function rewordToolErrors(messages: ModelMessage[], toolErrors: Map<string, string>): ModelMessage[] {
	if (toolErrors.size === 0) return messages;
	return messages.map((m) => {
		if (m.role !== "tool" || typeof m.content === "string") return m;
		return {
			...m,
			content: m.content.map((part) => {
				if (part.type !== "tool-result") return part;
				const words = toolErrors.get(part.toolCallId);
				if (words === undefined || (part.output.type !== "error-text" && part.output.type !== "error-json"))
					return part;
				return { ...part, output: { type: "error-text" as const, value: words } };
			}),
		};
	});
}
