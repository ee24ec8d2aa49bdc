import { type ChatMessage, CustomName, EventType, type WireEvent } from "../protocol/index.ts";

/** Kept whole: a run's start and end (its line: model, time, tokens) and the agent's thoughts. */
const KEPT = new Set<string>([
	EventType.RUN_STARTED,
	EventType.RUN_FINISHED,
	EventType.RUN_ERROR,
	EventType.REASONING_MESSAGE_START,
	EventType.REASONING_MESSAGE_CONTENT,
	EventType.REASONING_MESSAGE_END,
]);

/** Sparky's events a finished turn's line shows: the memories it was given, a compaction of the chat. */
const KEPT_CUSTOM = new Set<string>([CustomName.memoriesRecalled, CustomName.contextCompacted, CustomName.usage]);

/** Kept when the page has their row: they place a message or tool call among the thoughts. */
const STARTS = new Set<string>([EventType.TEXT_MESSAGE_START, EventType.TOOL_CALL_START]);

/**
 * What a history page leaves out of its finished turns, from their stored events: run lines,
 * thoughts, the memories each was given, compactions and each model call's usage, plus the start of each message and tool call the page has (so everything in a
 * turn sorts by the same event order). Text and results come from the rows themselves, so a
 * page stays small however long the tool outputs were.
 */
export function pastRunEvents(events: readonly WireEvent[], rowIds: ReadonlySet<string>): WireEvent[] {
	return events.filter((e) => {
		if (KEPT.has(e.type)) return true;
		if (e.type === EventType.CUSTOM) return typeof e.name === "string" && KEPT_CUSTOM.has(e.name);
		if (!STARTS.has(e.type)) return false;
		const id = e.type === EventType.TEXT_MESSAGE_START ? e.messageId : e.toolCallId;
		return typeof id === "string" && rowIds.has(id);
	});
}

/** Those events for every finished turn of a page (the running turn's come whole, elsewhere). */
export async function pastRuns(
	messages: readonly ChatMessage[],
	runningTurnId: string | undefined,
	readEvents: (turnId: string) => WireEvent[] | Promise<WireEvent[]>,
): Promise<WireEvent[]> {
	const turns = new Set(messages.flatMap((m) => (m.turn_id && m.turn_id !== runningTurnId ? [m.turn_id] : [])));
	const rowIds = new Set(messages.map((m) => m.id));
	const read = await Promise.all([...turns].map(async (turnId) => pastRunEvents(await readEvents(turnId), rowIds)));
	return read.flat();
}
