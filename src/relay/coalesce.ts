import { EventType, type PublishEvent } from "../protocol/index.ts";

/** The streamed pieces of one message or one call's arguments: what a reader concatenates. */
const DELTA_OF: Partial<Record<string, "messageId" | "toolCallId">> = {
	[EventType.TEXT_MESSAGE_CONTENT]: "messageId",
	[EventType.REASONING_MESSAGE_CONTENT]: "messageId",
	[EventType.TOOL_CALL_ARGS]: "toolCallId",
};

/** A merged delta stays a small event (a hub refuses events past LIMITS.eventBytes). */
export const MAX_MERGED_DELTA = 2048;

/** What two events may differ in and still be one: their own id, time and text. */
const OWN = new Set(["id", "ts", "delta"]);

/**
 * `b` appended to `a` as one event, when both are deltas of the same message (or the same
 * call's arguments) in the same envelope: every reader concatenates deltas, so one event
 * with both texts reads the same, and costs one id, one row, one frame. The merged event
 * keeps `a`'s id and time (when its text began). Undefined when they don't merge.
 */
export function mergeDeltas(a: PublishEvent, b: PublishEvent): PublishEvent | undefined {
	const key = DELTA_OF[a.type];
	if (key === undefined || a.type !== b.type) return undefined;
	const left = a as Record<string, unknown>;
	const right = b as Record<string, unknown>;
	if (typeof left.delta !== "string" || typeof right.delta !== "string") return undefined;
	if (left.delta.length + right.delta.length > MAX_MERGED_DELTA) return undefined;
	const keys = Object.keys(left);
	if (keys.length !== Object.keys(right).length) return undefined;
	for (const k of keys) if (!OWN.has(k) && left[k] !== right[k]) return undefined;
	return { ...a, delta: left.delta + right.delta } as PublishEvent;
}

/**
 * The merging policy: appends `event` to a hub's queue, where a delta joins the delta before
 * it (`mergeDeltas`) while both wait, unless either is pinned: one a call has carried (a hub
 * may have stored its id: a retry would drop the new text) or one a `send` waits to hear the
 * seq of. The merged event is a copy (queues share event objects). True when it merged.
 */
export function appendMerging(
	queue: PublishEvent[],
	event: PublishEvent,
	pinned: (event: PublishEvent) => boolean,
): boolean {
	const last = queue.at(-1);
	const merged = last && !pinned(last) && !pinned(event) && mergeDeltas(last, event);
	if (!merged) {
		queue.push(event);
		return false;
	}
	queue[queue.length - 1] = merged;
	return true;
}
