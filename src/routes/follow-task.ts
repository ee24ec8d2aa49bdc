import { STREAM_WAIT_MS, type StreamGuard } from "../http/stream-guard.ts";
import type { UserHubApi } from "../hub/stub.ts";
import { isTerminal, type WireEvent } from "../protocol/index.ts";
import { getTask, type TaskRow } from "../storage/tasks.ts";

/** How long a stream stays quiet before it asks D1 how the task stands. */
const IDLE_CHECK_MS = 20_000;
/** How long one batch may take to write before the client counts as gone (it stopped reading). */
const WRITE_DEADLINE_MS = 30_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Why a follow stopped. `gone`: the task is finished and no event says so (aged out or deleted). */
export type FollowEnd =
	| { kind: "complete" }
	| { kind: "aborted" }
	| { kind: "denied"; code: "unauthorized" | "stream_lapsed"; reason: string }
	| { kind: "gone"; row: TaskRow | null; cursor: number };

export interface FollowOptions {
	hub: UserHubApi;
	db: D1Database;
	taskId: string;
	/** The hub seq after which to read. */
	from: number;
	/** The task had already ended when the stream began: read what is stored, then stop. */
	finished: boolean;
	stream: { readonly aborted: boolean; write(text: string): Promise<unknown> };
	/** The request's signal: aborted when the client goes (the `enable_request_signal` flag). */
	signal: AbortSignal;
	guard: StreamGuard;
	/** Writes a batch of the task's events; true when the stream is complete (the task ended). */
	deliver: (events: WireEvent[]) => Promise<boolean>;
}

/**
 * Follows one task's events on the hub that keeps them (the SSE and AG-UI routes): waits for
 * the next ones, hands them to `deliver`, and stops when the stream is complete, the client has
 * gone, the viewer's token no longer opens doors (looked at between every wait), or the task
 * is finished with nothing more to read.
 */
export async function followTask(options: FollowOptions): Promise<FollowEnd> {
	const { hub, db, taskId, stream, guard, deliver, signal } = options;
	let cursor = options.from;
	let finished = options.finished;
	let quietSince = Date.now();
	// A client that leaves ends the follow at once (its place under the stream cap is freed), not
	// at the end of the wait in flight, whose answer is then dropped.
	const left = new Promise<null>((resolve) => {
		if (signal.aborted) resolve(null);
		else signal.addEventListener("abort", () => resolve(null), { once: true });
	});
	for (;;) {
		const next = await Promise.race([hub.waitForTask(taskId, cursor, finished ? 0 : STREAM_WAIT_MS), left]);
		if (next === null || stream.aborted) return { kind: "aborted" };
		const { events } = next;
		const access = await guard.access();
		if (!access.ok) return { kind: "denied", code: access.code, reason: access.reason };
		if (events.length > 0) {
			cursor = events.at(-1)?.seq ?? cursor;
			// A client that stops reading blocks the writes (backpressure): past the deadline it is gone.
			const delivered = await Promise.race([deliver(events), sleep(WRITE_DEADLINE_MS).then(() => null), left]);
			if (delivered === null) return { kind: "aborted" };
			if (delivered) return { kind: "complete" };
			quietSince = Date.now();
		}
		if (stream.aborted) return { kind: "aborted" };
		if (events.length > 0) continue;
		if (!finished && Date.now() - quietSince < IDLE_CHECK_MS) {
			// A write is how a client that left is noticed (the runtime may not say so otherwise).
			await stream.write(": keep-alive\n\n");
			continue;
		}
		quietSince = Date.now();
		// Nothing new: maybe it ended and its events aged out, maybe it is just slow.
		const row = await getTask(db, taskId);
		if (row && !isTerminal(row.status)) {
			await stream.write(": keep-alive\n\n");
			continue;
		}
		if (row && !finished) {
			finished = true; // read once more: its last events may have landed meanwhile
			continue;
		}
		return { kind: "gone", row, cursor };
	}
}
