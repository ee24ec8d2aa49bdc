import { type LanguageModel, streamText } from "ai";
import { classifyError } from "../agent/errors.ts";
import { summaryInput, summarySystemPrompt } from "../agent/summary-prompt.ts";
import { cutText, messageTextTokens } from "../agent/tokens.ts";

/**
 * Compaction: a chat's older turns folded into one summary by the model (issue #24). Each
 * call gets the summary so far and as many turns as fit the budget beside it; what it writes
 * is the summary the next call folds into, so a history of any length costs calls within the
 * budget, never one call over it.
 */

/** Model calls one compaction makes at most; turns older than those they fold are left out, and counted. */
export const MAX_FOLDS = 8;
/** Room one call must have for turns, or folding is pointless. */
const MIN_TURN_ROOM = 128;
/** One summarisation call at most: a provider that hangs must not hold the turn (it falls back). */
const CALL_TIMEOUT_MS = 60_000;
/** About how many words a token of summary holds (for the prompt's "at most N words"). */
const WORDS_PER_TOKEN = 0.7;

export interface FoldRequest {
	model: LanguageModel;
	/** The summary so far (the chat's latest), if any. */
	previous: string | undefined;
	/** The turns to fold in, oldest first, each as `formatTurn` wrote it. */
	turns: string[];
	/** Turns before these that could not be read (a very long chat): said in the summary. */
	unread: number;
	/** The most one call's prompt may hold: system prompt and message (estimated tokens). */
	budget: number;
	/** Told after each call that returned (failed or not): what it spent, for the bill. */
	onCall?: (call: { inputTokens: number; outputTokens: number; ms: number }) => Promise<void>;
	/** The summary's size at most: its output cap. */
	summaryTokens: number;
	signal: AbortSignal;
}

export type FoldResult =
	| { ok: true; summary: string; calls: number; leftOut: number; usage: { inputTokens: number; outputTokens: number } }
	| { ok: false; error: string };

/** The turns folded into the summary so far, call by call; a failed call fails the whole compaction. */
export async function foldTurns(request: FoldRequest): Promise<FoldResult> {
	const system = summarySystemPrompt(Math.max(50, Math.floor(request.summaryTokens * WORDS_PER_TOKEN)));
	const room =
		request.budget - messageTextTokens(system) - request.summaryTokens - messageTextTokens(summaryInput("", [], 0));
	if (room < MIN_TURN_ROOM)
		return { ok: false, error: `the context budget (${request.budget} tokens) leaves no room to summarise` };
	const chunks = packChunks(
		request.turns.map((t) => cutText(t, room)),
		room,
	);
	const skipped = chunks.slice(0, Math.max(0, chunks.length - MAX_FOLDS));
	const leftOut = request.unread + skipped.reduce((n, chunk) => n + chunk.length, 0);
	const usage = { inputTokens: 0, outputTokens: 0 };
	let summary = request.previous ? cutText(request.previous, request.summaryTokens) : undefined;
	let calls = 0;
	try {
		for (const [i, chunk] of chunks.slice(skipped.length).entries()) {
			const input = fitInput(system, summaryInput(summary, chunk, i === 0 ? leftOut : 0), request.budget);
			const written = await summarise(request, system, input, usage);
			calls++;
			summary = cutText(written, request.summaryTokens);
		}
	} catch (error) {
		return { ok: false, error: classifyError(error).message };
	}
	if (summary === undefined) return { ok: false, error: "there was nothing to summarise" };
	return { ok: true, summary, calls, leftOut, usage };
}

/** Turns (each within `room`) in order, as many per chunk as fit `room`. */
function packChunks(turns: string[], room: number): string[][] {
	const chunks: string[][] = [];
	let used = Number.POSITIVE_INFINITY;
	for (const turn of turns) {
		// A turn's cost inside the message: its escaped text and the line between.
		const cost = messageTextTokens(turn) - messageTextTokens("") + 1;
		if (used + cost > room) {
			chunks.push([]);
			used = 0;
		}
		chunks.at(-1)?.push(turn);
		used += cost;
	}
	return chunks;
}

/** The message cut, should the estimate of its parts have been short of the whole (a safety net). */
function fitInput(system: string, input: string, budget: number): string {
	const room = budget - messageTextTokens(system);
	let fitted = input;
	for (let max = room; messageTextTokens(fitted) > room && max > 0; ) {
		fitted = cutText(input, max);
		max -= Math.max(1, messageTextTokens(fitted) - room);
	}
	return fitted;
}

/** One summarisation call: its text, or the provider's error thrown. */
async function summarise(
	request: FoldRequest,
	system: string,
	input: string,
	usage: { inputTokens: number; outputTokens: number },
): Promise<string> {
	const result = streamText({
		model: request.model,
		system,
		messages: [{ role: "user", content: input }],
		maxOutputTokens: request.summaryTokens,
		abortSignal: AbortSignal.any([request.signal, AbortSignal.timeout(CALL_TIMEOUT_MS)]),
		// Compaction is not worth waiting for: a failure falls back to leaving turns out.
		maxRetries: 0,
		onError: () => {}, // errors arrive as stream parts
	});
	let text = "";
	let failure: unknown;
	const started = Date.now();
	const spent = { inputTokens: 0, outputTokens: 0 };
	for await (const part of result.stream) {
		if (part.type === "text-delta") text += part.text;
		else if (part.type === "error") failure ??= part.error;
		else if (part.type === "finish-step") {
			spent.inputTokens += part.usage.inputTokens ?? 0;
			spent.outputTokens += part.usage.outputTokens ?? 0;
		}
	}
	usage.inputTokens += spent.inputTokens;
	usage.outputTokens += spent.outputTokens;
	if (spent.inputTokens + spent.outputTokens > 0) await request.onCall?.({ ...spent, ms: Date.now() - started });
	if (failure !== undefined) throw failure;
	if (request.signal.aborted) throw request.signal.reason ?? new Error("aborted");
	if (!text.trim()) throw new Error("the model wrote an empty summary");
	return text.trim();
}
