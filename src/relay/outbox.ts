import type { PublishEvent } from "../protocol/index.ts";

/**
 * Everything a relay keeps for one destination hub: the events on their way there, in order,
 * the call in flight (one at a time keeps the hub's order), and when its last call started
 * (for its pace). The relay's policies read and change it: pacing (pacing.ts), merging
 * (coalesce.ts), forwarding (forwarding.ts).
 */
export class Outbox {
	/** Events not yet acknowledged by the hub, oldest first. A call takes them from the front. */
	readonly queue: PublishEvent[] = [];
	/** The call in flight, and the ones that follow it while there is more; false when one failed. */
	pump: Promise<boolean> | undefined;
	/** Its next call starts at the end of this synchronous stretch (what is emitted meanwhile shares it). */
	kicked = false;
	/** When its last call started. */
	lastCallAt: number | undefined;
	/** When its queue last went from empty to not (a gathering pace counts from here too). */
	waitingSince: number | undefined;
	/** Calls that failed in a row (reset by one that gets through): how long the next retry waits. */
	failures = 0;

	/** The pace the hub asked for in its last answer (hub/intake-pace.ts; 0: none). */
	hubPaceMs = 0;

	constructor(
		readonly userId: string,
		/** The relay's own pace for this hub (pacing.ts: the agent's), whatever the hub asks. */
		readonly basePaceMs: number,
	) {}

	/** The least time between the starts of two calls to this hub (0: none): the relay's pace or the hub's, whichever is longer. */
	get paceMs(): number {
		return Math.max(this.basePaceMs, this.hubPaceMs);
	}

	/** Whether it still has something to send, or a call out. */
	get busy(): boolean {
		return this.queue.length > 0 || this.pump !== undefined;
	}
}

/**
 * What a relay knows of single events, whichever hubs they go to: which a call has carried
 * (a hub may have stored its id), and which a `send` waits to hear the seqs of. Neither is
 * ever merged (coalesce.ts): a merged event keeps one id and one seq.
 */
export class Receipts {
	readonly #carried = new WeakSet<PublishEvent>();
	readonly #awaited = new Map<PublishEvent, Set<Map<string, number>>>();

	/** Marks a batch as carried by a call, whatever comes of it. */
	carried(batch: readonly PublishEvent[]): void {
		for (const event of batch) this.#carried.add(event);
	}

	/** Starts collecting the seq each hub gives `event` (hub → seq), until `release`. */
	await(event: PublishEvent): Map<string, number> {
		const seqs = new Map<string, number>();
		const waiting = this.#awaited.get(event) ?? new Set();
		waiting.add(seqs);
		this.#awaited.set(event, waiting);
		return seqs;
	}

	release(event: PublishEvent, seqs: Map<string, number>): void {
		const waiting = this.#awaited.get(event);
		waiting?.delete(seqs);
		if (waiting?.size === 0) this.#awaited.delete(event);
	}

	/** Whether merging must leave the event as it is (it has been in a call, or a send waits for its seq). */
	readonly pinned = (event: PublishEvent): boolean => this.#carried.has(event) || this.#awaited.has(event);

	/** The seqs a hub gave a batch, for the sends waiting on any of its events. */
	record(userId: string, batch: readonly PublishEvent[], seqs: readonly number[] | undefined): void {
		if (this.#awaited.size === 0 || !seqs) return;
		batch.forEach((event, i) => {
			const seq = seqs[i];
			if (seq === undefined) return;
			for (const waiting of this.#awaited.get(event) ?? []) waiting.set(userId, seq);
		});
	}
}
