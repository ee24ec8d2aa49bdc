import type { HubEnvelope } from "../protocol/index.ts";

/** What the cursor made of one incoming event. */
export type CursorVerdict =
	| { kind: "new" }
	/** Already seen (replay overlapping live, or a resent frame): drop it. */
	| { kind: "duplicate" }
	/** Events between `expected` and this one are missing: resume from `expected - 1`. */
	| { kind: "gap"; expected: number };

/**
 * The client's half of exactly-once delivery: remembers the highest seq applied and
 * sorts every incoming event into new / duplicate / gap. A client that only applies
 * `new` events and resumes on `gap` never shows an event twice or skips one.
 */
export class EventCursor {
	#last: number;

	constructor(lastSeq = 0) {
		this.#last = lastSeq;
	}

	/** Highest seq applied so far: send it as `since` when reconnecting. */
	get lastSeq(): number {
		return this.#last;
	}

	accept(event: Pick<HubEnvelope, "seq">): CursorVerdict {
		if (event.seq <= this.#last) return { kind: "duplicate" };
		if (event.seq !== this.#last + 1) return { kind: "gap", expected: this.#last + 1 };
		this.#last = event.seq;
		return { kind: "new" };
	}

	/**
	 * The server said events before `oldestSeq` are gone (or our cursor is from another
	 * database): continue from just before the oldest event it still holds.
	 */
	rebase(oldestSeq: number): void {
		this.#last = Math.max(0, oldestSeq - 1);
	}
}
