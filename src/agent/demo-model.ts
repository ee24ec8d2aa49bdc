import type {
	LanguageModelV4,
	LanguageModelV4CallOptions,
	LanguageModelV4Content,
	LanguageModelV4Prompt,
	LanguageModelV4StreamPart,
	LanguageModelV4Usage,
} from "@ai-sdk/provider";
import { type DemoAttachment, splitAttachments } from "./demo-attachments.ts";
import { type DemoTurn, nextTurn, type ToolOutcome } from "./demo-plan.ts";
import { demoSummary } from "./demo-summary.ts";
import { isSummaryRequest } from "./summary-prompt.ts";

export interface DemoModelOptions {
	/** Pause between streamed chunks, so a person watching sees it stream. 0 in tests. */
	chunkDelayMs?: number;
}

/**
 * Sparky's built-in model when no provider is configured: deterministic, offline, and
 * honest about what it is. It speaks the AI SDK's language-model interface, so it drives
 * the real agent loop, real tools and real streaming exactly as a provider would.
 */
export class DemoLanguageModel implements LanguageModelV4 {
	readonly specificationVersion = "v4";
	readonly provider = "sparky";
	readonly modelId = "demo";
	readonly supportedUrls = {};
	readonly #delay: number;

	constructor(options: DemoModelOptions = {}) {
		this.#delay = options.chunkDelayMs ?? 0;
	}

	async doStream(options: LanguageModelV4CallOptions) {
		const parts = this.#parts(options);
		const delay = this.#delay;
		const signal = options.abortSignal;
		const stream = new ReadableStream<LanguageModelV4StreamPart>({
			async pull(controller) {
				const part = parts.shift();
				if (!part) {
					controller.close();
					return;
				}
				if (delay > 0 && (part.type === "text-delta" || part.type === "reasoning-delta")) {
					await new Promise((resolve) => setTimeout(resolve, delay));
				}
				if (signal?.aborted) {
					controller.error(signal.reason ?? new DOMException("aborted", "AbortError"));
					return;
				}
				controller.enqueue(part);
			},
		});
		return { stream };
	}

	async doGenerate(options: LanguageModelV4CallOptions) {
		const parts = this.#parts(options);
		const content: LanguageModelV4Content[] = [];
		let finish: Extract<LanguageModelV4StreamPart, { type: "finish" }> | undefined;
		let text = "";
		let reasoning = "";
		for (const part of parts) {
			if (part.type === "text-delta") text += part.delta;
			else if (part.type === "reasoning-delta") reasoning += part.delta;
			else if (part.type === "tool-call") content.push(part);
			else if (part.type === "finish") finish = part;
		}
		if (reasoning) content.unshift({ type: "reasoning", text: reasoning });
		if (text) content.push({ type: "text", text });
		return {
			content,
			finishReason: finish?.finishReason ?? { unified: "stop" as const, raw: "stop" },
			usage: finish?.usage ?? usage(0, 0),
			warnings: [],
		};
	}

	#parts({ prompt, maxOutputTokens }: LanguageModelV4CallOptions): LanguageModelV4StreamPart[] {
		if (isSummaryRequest(systemOf(prompt))) return summaryParts(prompt, maxOutputTokens);
		const { instruction, done, attachments } = readPrompt(prompt);
		const turn = nextTurn(instruction, done, attachments);
		const parts: LanguageModelV4StreamPart[] = [
			{ type: "stream-start", warnings: [] },
			{ type: "response-metadata", id: `demo-${prompt.length}-${done.length}`, modelId: "demo" },
			{ type: "reasoning-start", id: "reasoning" },
			...chunks(turn.thought).map((delta) => ({ type: "reasoning-delta" as const, id: "reasoning", delta })),
			{ type: "reasoning-end", id: "reasoning" },
			...turnParts(turn, `demo_${prompt.length}_${done.length + 1}`),
		];
		const outputChars =
			turn.thought.length + (turn.kind === "answer" ? turn.text.length : JSON.stringify(turn.call.input).length);
		parts.push({
			type: "finish",
			usage: usage(promptTokens(prompt), Math.ceil(outputChars / 4)),
			finishReason:
				turn.kind === "call" ? { unified: "tool-calls", raw: "tool_calls" } : { unified: "stop", raw: "stop" },
		});
		return parts;
	}
}

/** Asked to compact a chat's older turns (runner/compaction.ts): the deterministic summary. */
function summaryParts(prompt: LanguageModelV4Prompt, maxOutputTokens?: number): LanguageModelV4StreamPart[] {
	const text = demoSummary(readPrompt(prompt).instruction, maxOutputTokens);
	return [
		{ type: "stream-start", warnings: [] },
		{ type: "text-start", id: "text" },
		...chunks(text, 48).map((delta) => ({ type: "text-delta" as const, id: "text", delta })),
		{ type: "text-end", id: "text" },
		{
			type: "finish",
			usage: usage(Math.ceil(JSON.stringify(prompt).length / 4), Math.ceil(text.length / 4)),
			finishReason: { unified: "stop", raw: "stop" },
		},
	];
}

function systemOf(prompt: LanguageModelV4Prompt): string {
	const system = prompt.find((m) => m.role === "system");
	return system?.role === "system" ? system.content : "";
}

function turnParts(turn: DemoTurn, callId: string): LanguageModelV4StreamPart[] {
	if (turn.kind === "answer") {
		return [
			{ type: "text-start", id: "text" },
			...chunks(turn.text).map((delta) => ({ type: "text-delta" as const, id: "text", delta })),
			{ type: "text-end", id: "text" },
		];
	}
	const input = JSON.stringify(turn.call.input);
	return [
		{ type: "tool-input-start", id: callId, toolName: turn.call.toolName },
		...chunks(input, 24).map((delta) => ({ type: "tool-input-delta" as const, id: callId, delta })),
		{ type: "tool-input-end", id: callId },
		{ type: "tool-call", toolCallId: callId, toolName: turn.call.toolName, input },
	];
}

/**
 * The instruction (last user message), the files attached to it (their `<attachment>` tags and
 * text, demo-attachments.ts) and the tool results since it, in order. A text file part is read
 * as text; an image or a PDF part is not read (the tag before it says what it is).
 */
export function readPrompt(prompt: LanguageModelV4Prompt): {
	instruction: string;
	done: ToolOutcome[];
	attachments: DemoAttachment[];
} {
	let lastUser = -1;
	prompt.forEach((message, index) => {
		if (message.role === "user") lastUser = index;
	});
	const user = prompt[lastUser];
	const texts: string[] = [];
	for (const part of user?.role === "user" ? user.content : []) {
		if (part.type === "text") texts.push(part.text);
		else if (part.type === "file" && part.mediaType.startsWith("text")) texts.push(fileText(part.data));
	}
	const { instruction, attachments } = splitAttachments(texts);
	const done: ToolOutcome[] = [];
	for (const message of prompt.slice(lastUser + 1)) {
		if (message.role !== "tool") continue;
		for (const part of message.content) {
			if (part.type !== "tool-result") continue;
			const out = part.output;
			const output =
				out.type === "json" || out.type === "text" || out.type === "error-json"
					? out.type === "error-json"
						? { error: JSON.stringify(out.value) }
						: out.value
					: out.type === "error-text"
						? { error: out.value }
						: { error: "no output" };
			done.push({ toolName: part.toolName, output });
		}
	}
	return { instruction, done, attachments };
}

type FileData = Extract<LanguageModelV4Prompt[number]["content"][number], { type: "file" }>["data"];

function fileText(data: FileData): string {
	if (data.type === "text") return data.text;
	if (data.type !== "data") return "";
	return typeof data.data === "string" ? atob(data.data) : new TextDecoder().decode(data.data);
}

/** The prompt's size as a provider would bill it, roughly: its JSON, with a file's bytes counted as bytes. */
function promptTokens(prompt: LanguageModelV4Prompt): number {
	let binary = 0;
	const json = JSON.stringify(prompt, (_key, value) => {
		if (value instanceof Uint8Array) {
			binary += value.length;
			return "";
		}
		return value;
	});
	return Math.ceil((json.length + binary) / 4);
}

/** Splits text into small pieces (a few words) the way a model streams tokens. */
function chunks(text: string, size = 12): string[] {
	const out: string[] = [];
	for (const piece of text.match(/\S+\s*|\s+/g) ?? []) {
		const last = out.length - 1;
		if (last >= 0 && (out[last] as string).length + piece.length <= size) out[last] += piece;
		else out.push(piece);
	}
	return out;
}

function usage(input: number, output: number): LanguageModelV4Usage {
	return {
		inputTokens: { total: input, noCache: input, cacheRead: 0, cacheWrite: 0 },
		outputTokens: { total: output, text: output, reasoning: 0 },
	};
}
