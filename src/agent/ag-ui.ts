import type { TextStreamPart, ToolSet } from "ai";
import { type AgUiEvent, EventType } from "../protocol/index.ts";
import { toolErrorText } from "./tool-calls.ts";

/** Tool results shown to people are capped; the model still got the whole output. */
export const RESULT_EVENT_CHARS = 16_000;

/**
 * Turns the AI SDK's stream parts into AG-UI events. Providers reuse part ids across
 * steps ("0", "txt-0") and a model's tool call ids are only unique within its run, so every
 * id in the events is minted or prefixed here with the run id: unique everywhere.
 */
export class AgUiTranslator {
	readonly #runId: string;
	#counter = 0;
	readonly #text = new Map<string, string>();
	readonly #reasoning = new Map<string, string>();
	/** Tool calls whose START was sent, and whether their ARGS were. */
	readonly #tools = new Map<string, { args: boolean; ended: boolean }>();

	constructor(runId: string) {
		this.#runId = runId;
	}

	translate(part: TextStreamPart<ToolSet>): AgUiEvent[] {
		switch (part.type) {
			case "start-step":
				this.#text.clear();
				this.#reasoning.clear();
				return [];
			case "text-start":
				return this.#openText(part.id);
			case "text-delta": {
				const known = this.#text.get(part.id);
				const opened = known ? [] : this.#openText(part.id);
				const messageId = known ?? this.#text.get(part.id) ?? "";
				if (!part.text) return opened;
				return [...opened, { type: EventType.TEXT_MESSAGE_CONTENT, messageId, delta: part.text }];
			}
			case "text-end":
				return this.#closeText(part.id);
			case "reasoning-start":
				return this.#openReasoning(part.id);
			case "reasoning-delta": {
				const known = this.#reasoning.get(part.id);
				const opened = known ? [] : this.#openReasoning(part.id);
				const messageId = known ?? this.#reasoning.get(part.id) ?? "";
				if (!part.text) return opened;
				return [...opened, { type: EventType.REASONING_MESSAGE_CONTENT, messageId, delta: part.text }];
			}
			case "reasoning-end":
				return this.#closeReasoning(part.id);
			case "tool-input-start":
				this.#tools.set(part.id, { args: false, ended: false });
				return [{ type: EventType.TOOL_CALL_START, toolCallId: this.#toolId(part.id), toolCallName: part.toolName }];
			case "tool-input-delta": {
				const call = this.#tools.get(part.id);
				if (call) call.args = true;
				return part.delta
					? [{ type: EventType.TOOL_CALL_ARGS, toolCallId: this.#toolId(part.id), delta: part.delta }]
					: [];
			}
			case "tool-input-end": {
				const call = this.#tools.get(part.id);
				if (call) call.ended = true;
				return [{ type: EventType.TOOL_CALL_END, toolCallId: this.#toolId(part.id) }];
			}
			case "tool-call":
				return this.#completeToolCall(part.toolCallId, part.toolName, part.input);
			case "tool-result":
				return [this.toolResult(part.toolCallId, part.output)];
			case "tool-error":
				return [this.toolResult(part.toolCallId, { error: toolErrorText(part.error, part.toolName) })];
			default:
				return [];
		}
	}

	/** Ends whatever is still open (a run that was cut short), so no message hangs. */
	closeAll(): AgUiEvent[] {
		return [
			...[...this.#text.keys()].flatMap((id) => this.#closeText(id)),
			...[...this.#reasoning.keys()].flatMap((id) => this.#closeReasoning(id)),
			...[...this.#tools]
				.filter(([, c]) => !c.ended)
				.map(([id]): AgUiEvent => ({ type: EventType.TOOL_CALL_END, toolCallId: this.#toolId(id) })),
		];
	}

	#toolId(providerId: string): string {
		return `${this.#runId}:${providerId}`;
	}

	#mint(kind: string): string {
		return `${this.#runId}:${kind}${++this.#counter}`;
	}

	#openText(partId: string): AgUiEvent[] {
		const messageId = this.#mint("msg");
		this.#text.set(partId, messageId);
		return [{ type: EventType.TEXT_MESSAGE_START, messageId, role: "assistant" }];
	}

	#closeText(partId: string): AgUiEvent[] {
		const messageId = this.#text.get(partId);
		if (!messageId) return [];
		this.#text.delete(partId);
		return [{ type: EventType.TEXT_MESSAGE_END, messageId }];
	}

	#openReasoning(partId: string): AgUiEvent[] {
		const messageId = this.#mint("think");
		this.#reasoning.set(partId, messageId);
		return [
			{ type: EventType.REASONING_START, messageId },
			{ type: EventType.REASONING_MESSAGE_START, messageId, role: "reasoning" },
		];
	}

	#closeReasoning(partId: string): AgUiEvent[] {
		const messageId = this.#reasoning.get(partId);
		if (!messageId) return [];
		this.#reasoning.delete(partId);
		return [
			{ type: EventType.REASONING_MESSAGE_END, messageId },
			{ type: EventType.REASONING_END, messageId },
		];
	}

	/** Providers that don't stream arguments still get START / ARGS / END, in that order. */
	#completeToolCall(providerId: string, toolName: string, input: unknown): AgUiEvent[] {
		const call = this.#tools.get(providerId);
		const toolCallId = this.#toolId(providerId);
		const events: AgUiEvent[] = [];
		if (!call) events.push({ type: EventType.TOOL_CALL_START, toolCallId, toolCallName: toolName });
		if (!call?.args) events.push({ type: EventType.TOOL_CALL_ARGS, toolCallId, delta: JSON.stringify(input ?? {}) });
		if (!call?.ended) events.push({ type: EventType.TOOL_CALL_END, toolCallId });
		this.#tools.set(providerId, { args: true, ended: true });
		return events;
	}

	/**
	 * A tool's result. A call announced by an earlier attempt (resumed from its checkpoint)
	 * passes that run's id, so the result joins the call its events started.
	 */
	toolResult(providerId: string, output: unknown, runId = this.#runId): AgUiEvent {
		let content = typeof output === "string" ? output : JSON.stringify(output ?? null);
		if (content.length > RESULT_EVENT_CHARS) content = `${content.slice(0, RESULT_EVENT_CHARS)}… [truncated]`;
		const toolCallId = `${runId}:${providerId}`;
		return { type: EventType.TOOL_CALL_RESULT, messageId: `${toolCallId}:result`, toolCallId, content, role: "tool" };
	}
}

export function errorText(error: unknown): string {
	if (error instanceof Error) return error.message;
	if (typeof error === "object" && error !== null && "message" in error) return String(error.message);
	return String(error);
}
