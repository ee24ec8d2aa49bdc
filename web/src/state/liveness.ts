import type { TimelineItem } from "../../../src/client/index.ts";
import type { HubEnvelope } from "../../../src/protocol/index.ts";

/**
 * When each task and chat last showed a sign of life on this page: the receipt time of its
 * latest live event (a streamed word counts). For "no activity for N s" on a running thread.
 */
export class Liveness {
	readonly #last = new Map<string, number>();

	mark(event: Pick<HubEnvelope, "task_id" | "chat_id">, now = Date.now()): void {
		if (event.task_id) this.#last.set(`task:${event.task_id}`, now);
		if (event.chat_id) this.#last.set(`chat:${event.chat_id}`, now);
	}

	/**
	 * The latest sign of life of `key` (`task:<id>`, `chat:<id>`): a live event, or the newest
	 * item's time (after a reload, before any live event came).
	 */
	lastOf(key: string, items: readonly TimelineItem[]): number | undefined {
		let last = this.#last.get(key);
		for (const item of items) {
			const ts = "endedTs" in item && item.endedTs !== undefined ? item.endedTs : item.ts;
			if (last === undefined || ts > last) last = ts;
		}
		return last;
	}
}

/** Quiet this long (ms) before a running thread says so. */
export const QUIET_MS = 10_000;

/** "No activity for 12 s" once `now - last` reaches QUIET_MS; "" before. */
export function quietText(last: number | undefined, now: number): string {
	if (last === undefined) return "";
	const quiet = now - last;
	if (quiet < QUIET_MS) return "";
	const s = Math.floor(quiet / 1000);
	return `No activity for ${s < 120 ? `${s} s` : `${Math.floor(s / 60)} min`}`;
}
