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

/** How far back a delta looks for the last waiting event of its own stream (the queue interleaves many tasks). */
export const MERGE_LOOKBACK = 512;

/**
 * Whether `a` keeps its place before `b` for a reader of `b`'s stream (one task's attempt, or one
 * chat): an event of the same stream does, and so does one of no task or chat (a notice), which
 * nothing is moved past.
 */
const sameStream = (a: PublishEvent, b: PublishEvent): boolean =>
	(a.task_id === undefined && a.chat_id === undefined) ||
	(a.task_id === b.task_id && a.chat_id === b.chat_id && a.attempt === b.attempt);

/**
 * The merging policy: appends `event` to a hub's queue, where a delta joins the last waiting
 * event of its own stream when that is a delta of the same message (`mergeDeltas`), even with
 * other tasks' events after it: a relay carrying a hundred runs interleaves them, and nothing
 * of that stream comes between the two, so its reader sees the same text in the same order.
 * Never when either is pinned: one a call has carried (a hub may have stored its id: a retry
 * would drop the new text) or one a `send` waits to hear the seq of. The merged event is a copy
 * (queues share event objects). True when it merged.
 */
export function appendMerging(
	queue: PublishEvent[],
	event: PublishEvent,
	pinned: (event: PublishEvent) => boolean,
): boolean {
	if (DELTA_OF[event.type] !== undefined && !pinned(event)) {
		const stop = Math.max(0, queue.length - MERGE_LOOKBACK);
		for (let i = queue.length - 1; i >= stop; i--) {
			const earlier = queue[i] as PublishEvent;
			if (!sameStream(earlier, event)) continue;
			const merged = !pinned(earlier) && mergeDeltas(earlier, event);
			if (!merged) break;
			queue[i] = merged;
			return true;
		}
	}
	queue.push(event);
	return false;
}
