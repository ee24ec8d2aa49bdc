import { asSchema, type ModelMessage, type ToolSet } from "ai";
import { estimateTokens, MESSAGE_OVERHEAD_TOKENS, messageTextTokens } from "./tokens.ts";

/**
 * What a prompt costs in estimated tokens, measured as it travels (a provider's JSON body), so
 * a prompt within a budget by this measure is within it at the provider too. Errs high: a
 * tool call's input and a result's value are JSON inside a JSON string there (escaped twice).
 */

/** A tool call's or result's id, type and name keys around its value. */
const PART_OVERHEAD_TOKENS = 12;

export function systemTokens(system: string): number {
	return messageTextTokens(system);
}

/** The tools as the model is told about them: name, description and input schema, each. */
export async function toolsTokens(tools: ToolSet): Promise<number> {
	let total = 0;
	for (const [name, tool] of Object.entries(tools)) {
		const parameters = tool.inputSchema ? await asSchema(tool.inputSchema).jsonSchema : {};
		const declared = { type: "function", function: { name, description: tool.description ?? "", parameters } };
		total += estimateTokens(JSON.stringify(declared)) + PART_OVERHEAD_TOKENS;
	}
	return total;
}

export function messagesTokens(messages: readonly ModelMessage[]): number {
	let total = 0;
	for (const message of messages) total += messageTokens(message);
	return total;
}

export function messageTokens(message: ModelMessage): number {
	if (typeof message.content === "string") return messageTextTokens(message.content);
	let total = MESSAGE_OVERHEAD_TOKENS;
	for (const part of message.content) total += partTokens(part);
	return total;
}

type Part = Exclude<ModelMessage["content"], string>[number];

export function partTokens(part: Part): number {
	switch (part.type) {
		case "text":
		case "reasoning":
			return estimateTokens(JSON.stringify(part.text)) + 2;
		case "tool-call":
			return nested(part.input) + estimateTokens(part.toolName) + PART_OVERHEAD_TOKENS;
		case "tool-result":
			return outputTokens(part.output) + estimateTokens(part.toolName) + PART_OVERHEAD_TOKENS;
		case "image":
		case "file":
			return mediaTokens(part.providerOptions) + PART_OVERHEAD_TOKENS;
		default:
			return estimateTokens(JSON.stringify(part)) + PART_OVERHEAD_TOKENS;
	}
}

/** An image or a PDF a provider reads itself: what it costs is no function of its bytes. */
const MEDIA_TOKENS = 1_600;

/** A media part's estimate, as its maker put it (`providerOptions.sparky.tokens`, runner/run-attachments.ts). */
function mediaTokens(options: { sparky?: { tokens?: unknown } } | undefined): number {
	const tokens = options?.sparky?.tokens;
	return typeof tokens === "number" && tokens > 0 ? tokens : MEDIA_TOKENS;
}

type ToolOutput = Extract<Part, { type: "tool-result" }>["output"];

function outputTokens(output: ToolOutput): number {
	switch (output.type) {
		case "text":
		case "error-text":
			return estimateTokens(JSON.stringify(output.value));
		case "json":
		case "error-json":
			return nested(output.value);
		default:
			return nested(output);
	}
}

/** A value sent as JSON text inside the JSON body (a call's arguments, a result). */
function nested(value: unknown): number {
	return estimateTokens(JSON.stringify(JSON.stringify(value ?? null)));
}
