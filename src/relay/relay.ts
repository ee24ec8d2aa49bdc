import { log } from "../log.ts";
import { LIMITS, type PublishEvent } from "../protocol/index.ts";
import { type Publisher, publishWithRetry, type RetryOptions } from "./publish.ts";

export interface RelayOptions {
	publish: Publisher;
	/** User ids whose hubs receive every event (deduplicated). */
	audience: string[];
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
 * Buffers a run's events and relays them to each audience hub in order, a few tens of ms
 * at a time, so a chatty model makes few RPC calls. One flush at a time keeps the order;
 * a failed publish is retried (stable ids make that safe) and stays queued for the next
 * flush rather than being dropped.
 */
export class EventRelay {
	readonly #options: Required<Omit<RelayOptions, "retry">> & { retry?: RetryOptions };
	readonly #pending = new Map<string, PublishEvent[]>();
	#timer: ReturnType<typeof setTimeout> | undefined;
	#flushing: Promise<void> = Promise.resolve();
	readonly stats: RelayStats = { events: 0, rpcCalls: 0, undelivered: 0 };

	constructor(options: RelayOptions) {
		this.#options = { coalesceMs: 50, ...options, audience: [...new Set(options.audience)] };
		for (const userId of this.#options.audience) this.#pending.set(userId, []);
	}

	emit(event: PublishEvent): void {
		this.stats.events++;
		for (const queue of this.#pending.values()) queue.push(event);
		this.#timer ??= setTimeout(() => {
			this.#timer = undefined;
			void this.flush();
		}, this.#options.coalesceMs);
	}

	/** Sends everything buffered so far; resolves when the hubs have it (or gave up). */
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

	async #flushAll(): Promise<void> {
		await Promise.all([...this.#pending.keys()].map((userId) => this.#flushOne(userId)));
	}

	async #flushOne(userId: string): Promise<void> {
		const queue = this.#pending.get(userId);
		while (queue && queue.length > 0) {
			const batch = queue.slice(0, LIMITS.publishBatch);
			this.stats.rpcCalls++;
			const outcome = await publishWithRetry(this.#options.publish, userId, batch, this.#options.retry);
			if (outcome === "failed") return; // keep them; the next flush tries again
			if (outcome === "refused") this.stats.undelivered += batch.length;
			queue.splice(0, batch.length);
		}
	}
}
