import { log } from "../log.ts";
import { LIMITS, type PublishEvent } from "../protocol/index.ts";
import { type Publisher, publishWithRetry, type RetryOptions } from "./publish.ts";

export interface RelayOptions {
	publish: Publisher;
	/** How long an event may wait to share an RPC call with the next ones. */
	coalesceMs?: number;
	retry?: RetryOptions;
}

export interface RelayStats {
	events: number;
	rpcCalls: number;
	/** Events some hub never acknowledged (after every retry). */
	undelivered: number;
}

/**
 * The one way out to the hubs. Every event is queued per hub in order and published with
 * retries (stable ids make a retry safe: the hub stores an id once). `emit` lets a chatty
 * producer (a run) share RPC calls a few tens of ms at a time; `send` goes out now and
 * waits. One flush at a time keeps each hub's order; a publish that keeps failing stays
 * queued for the next flush rather than being dropped.
 */
export class Relay {
	readonly #options: Required<Omit<RelayOptions, "retry">> & { retry?: RetryOptions };
	readonly #pending = new Map<string, PublishEvent[]>();
	#timer: ReturnType<typeof setTimeout> | undefined;
	#flushing: Promise<void> = Promise.resolve();
	/** Events whose seqs a `send` is waiting to hear, by hub. */
	readonly #watched = new Map<PublishEvent, Map<string, number>>();
	readonly stats: RelayStats = { events: 0, rpcCalls: 0, undelivered: 0 };

	constructor(options: RelayOptions) {
		this.#options = { coalesceMs: 50, ...options };
	}

	/** Queues one event for each hub of `audience`; it leaves with the next flush (at most `coalesceMs` away). */
	emit(audience: readonly string[], event: PublishEvent): void {
		this.#enqueue(audience, [event]);
		this.#timer ??= setTimeout(() => {
			this.#timer = undefined;
			void this.flush();
		}, this.#options.coalesceMs);
	}

	/**
	 * Sends `events` to each hub of `audience` now (after anything queued before them) and
	 * waits; never throws. Resolves with the seq each hub gave the last of them, for the
	 * hubs that have them.
	 */
	async send(audience: readonly string[], events: PublishEvent[]): Promise<Map<string, number>> {
		const seqs = new Map<string, number>();
		const last = events.at(-1);
		if (last) this.#watched.set(last, seqs);
		this.#enqueue(audience, events);
		await this.flush();
		if (last) this.#watched.delete(last);
		const stuck = [...new Set(audience)].filter((userId) => (this.#pending.get(userId)?.length ?? 0) > 0);
		if (stuck.length > 0) log.warn("events not delivered to every hub yet", { users: stuck, events: events.length });
		return seqs;
	}

	/** Sends everything queued so far; resolves when the hubs have it (or gave up for now). */
	flush(): Promise<void> {
		if (this.#timer !== undefined) {
			clearTimeout(this.#timer);
			this.#timer = undefined;
		}
		this.#flushing = this.#flushing.then(() => this.#flushAll());
		return this.#flushing;
	}

	/** Final flush; counts what could not be delivered. */
	async close(): Promise<RelayStats> {
		await this.flush();
		for (const [userId, queue] of this.#pending) {
			if (queue.length === 0) continue;
			this.stats.undelivered += queue.length;
			log.error("relay gave up on events", { userId, events: queue.length });
			queue.length = 0;
		}
		return this.stats;
	}

	#enqueue(audience: readonly string[], events: PublishEvent[]): void {
		this.stats.events += events.length;
		for (const userId of new Set(audience)) {
			const queue = this.#pending.get(userId);
			if (queue) queue.push(...events);
			else this.#pending.set(userId, [...events]);
		}
	}

	#record(userId: string, batch: PublishEvent[], seqs: number[] | undefined): void {
		batch.forEach((event, i) => {
			const seq = seqs?.[i];
			if (seq !== undefined) this.#watched.get(event)?.set(userId, seq);
		});
	}

	async #flushAll(): Promise<void> {
		await Promise.all([...this.#pending.keys()].map((userId) => this.#flushOne(userId)));
	}

	async #flushOne(userId: string): Promise<void> {
		const queue = this.#pending.get(userId);
		while (queue && queue.length > 0) {
			const batch = queue.slice(0, LIMITS.publishBatch);
			this.stats.rpcCalls++;
			const outcome = await publishWithRetry(this.#options.publish, userId, batch, this.#options.retry);
			if (outcome.kind === "failed") return; // keep them; the next flush tries again
			if (outcome.kind === "refused") this.stats.undelivered += batch.length;
			else if (this.#watched.size > 0) this.#record(userId, batch, outcome.seqs);
			queue.splice(0, batch.length);
		}
	}
}
