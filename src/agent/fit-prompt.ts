import type { ModelMessage } from "ai";
import { messagesTokens, messageTokens, partTokens } from "./prompt-size.ts";
import { cutText, messageTextTokens } from "./tokens.ts";

/** What a cut part keeps at least: enough to see what it was. */
const FLOOR_TOKENS = 64;

export interface FittedMessages {
	/** A copy: the caller's messages (the checkpoint's) are never changed. */
	messages: ModelMessage[];
	/** Their size; over the limit only when even the cuts and drops could not make room. */
	tokens: number;
	/** Parts cut, and messages left out at the start. */
	cut: number;
	dropped: number;
}

type Part = Exclude<ModelMessage["content"], string>[number];
type Kind = "result" | "input" | "text";

/**
 * The messages within `limit` tokens (prompt-size.ts), cut in this order until they fit: tool
 * results, oldest first (a run's own results are what grows its prompt), then tool-call
 * inputs, then text; each cut visibly ("… [cut: N characters]") and kept at a small floor.
 * When that is not enough, the oldest messages are left out, with a note saying how many.
 */
export function fitMessages(messages: readonly ModelMessage[], limit: number): FittedMessages {
	let tokens = messagesTokens(messages);
	const out = messages.map(copyMessage);
	if (tokens <= limit) return { messages: out, tokens, cut: 0, dropped: 0 };
	let cut = 0;
	for (const kind of ["result", "input", "text"] as const) {
		for (let i = 0; i < out.length && tokens > limit; i++) {
			const message = out[i] as ModelMessage;
			const before = messageTokens(message);
			const after = cutMessage(message, kind, before - (tokens - limit));
			if (after.changed === 0) continue;
			out[i] = after.message;
			cut += after.changed;
			tokens += messageTokens(after.message) - before;
		}
	}
	if (tokens <= limit) return { messages: out, tokens, cut, dropped: 0 };
	return dropOldest(out, limit, cut);
}

/** Leaves out the oldest messages (never the last), starting again on the user's side with a note. */
function dropOldest(messages: ModelMessage[], limit: number, cut: number): FittedMessages {
	const kept = [...messages];
	let dropped = 0;
	const withNote = () => [note(dropped), ...kept];
	while (kept.length > 1 && messagesTokens(withNote()) > limit) {
		kept.shift();
		dropped++;
		// A tool result whose call was left out would be an orphan the provider refuses.
		while (kept.length > 1 && kept[0]?.role === "tool") {
			kept.shift();
			dropped++;
		}
	}
	const fitted = withNote();
	return { messages: fitted, tokens: messagesTokens(fitted), cut, dropped };
}

function note(dropped: number): ModelMessage {
	return { role: "user", content: `[${dropped} earlier messages of this run left out to fit the model's context]` };
}

/** The message with its parts of `kind` cut, together, towards `target` tokens (each no lower than the floor). */
function cutMessage(message: ModelMessage, kind: Kind, target: number): { message: ModelMessage; changed: number } {
	if (typeof message.content === "string") {
		if (kind !== "text" || message.role === "system") return { message, changed: 0 };
		const text = message.content;
		const allowed = Math.max(FLOOR_TOKENS, target);
		if (messageTextTokens(text) <= allowed) return { message, changed: 0 };
		const content = shrink(
			(max) => cutText(text, max),
			(t) => messageTextTokens(t),
			allowed,
		);
		return { message: { ...message, content } as ModelMessage, changed: 1 };
	}
	let excess = messageTokens(message) - target;
	let changed = 0;
	const parts = message.content.map((part) => {
		if (excess <= 0 || kindOf(part) !== kind) return part;
		const size = partTokens(part);
		const allowed = Math.max(FLOOR_TOKENS, size - excess);
		if (allowed >= size) return part;
		const smaller = cutPart(part, allowed);
		excess -= size - partTokens(smaller);
		changed++;
		return smaller;
	});
	return { message: { ...message, content: parts } as ModelMessage, changed };
}

function kindOf(part: Part): Kind | undefined {
	if (part.type === "tool-result") return "result";
	if (part.type === "tool-call") return "input";
	if (part.type === "text" || part.type === "reasoning") return "text";
	return undefined;
}

function cutPart(part: Part, allowed: number): Part {
	switch (part.type) {
		case "tool-result": {
			const error = part.output.type === "error-text" || part.output.type === "error-json";
			const text = outputText(part.output);
			return shrink(
				(max) => ({ ...part, output: { type: error ? "error-text" : "text", value: cutText(text, max) } }) as Part,
				partTokens,
				allowed,
			);
		}
		case "tool-call": {
			const input = JSON.stringify(part.input ?? null);
			return shrink((max) => ({ ...part, input: { cut: cutText(input, max) } }), partTokens, allowed);
		}
		case "text":
		case "reasoning":
			return shrink((max) => ({ ...part, text: cutText(part.text, max) }), partTokens, allowed);
		default:
			return part;
	}
}

function outputText(output: Extract<Part, { type: "tool-result" }>["output"]): string {
	if (output.type === "text" || output.type === "error-text") return output.value;
	if (output.type === "json" || output.type === "error-json") return JSON.stringify(output.value);
	return JSON.stringify(output);
}

/**
 * The largest cut of something whose size (`measure`) is within `allowed`: a cut is sized by the
 * raw text, the measure sees it escaped, so this asks again for less by what it went over.
 */
function shrink<T>(make: (maxTokens: number) => T, measure: (value: T) => number, allowed: number): T {
	let max = allowed;
	for (let i = 0; i < 8; i++) {
		const value = make(max);
		const size = measure(value);
		if (size <= allowed || max <= 0) return value;
		max -= Math.max(1, size - allowed);
	}
	return make(0);
}

function copyMessage(message: ModelMessage): ModelMessage {
	return (
		typeof message.content === "string" ? { ...message } : { ...message, content: [...message.content] }
	) as ModelMessage;
}
