import { log } from "../log.ts";
import { LIMITS, type PublishEvent } from "../protocol/index.ts";
import { mergeDeltas } from "./coalesce.ts";
import { type Forwarder, type Publisher, publishWithRetry, type RetryOptions } from "./publish.ts";

/**
 * At most one call every this many ms to the agent's hub from one relay (the runner's, a
 * hub's forwarder): every task writes to that hub, so each writer costs it a bounded number
 * of calls a second, and what it sends meanwhile shares the call.
 */
export const AGENT_HUB_PACE_MS = 250;

export interface RelayOptions {
	publish: Publisher;
	/** How `send(…, { forward })` reaches a hub that passes events on; without it they go to each hub directly. */
	forward?: Forwarder;
	retry?: RetryOptions;
	/**
	 * The least time between the starts of two calls to one hub (0: none). A hub every task
	 * writes to (the `agent` user's) is paced so a relay costs it a bounded number of calls a
	 * second; what arrives meanwhile is held and shares the next call. Held events leave with
	 * the first `emit` (to any hub) after the pace has passed, or on a timer when all is quiet:
	 * in a busy isolate timers fire late (seconds late, measured), emits don't stop coming.
	 * A flush (`send`, `flush`, `close`) sends what is held at once.
	 */
	paceMs?: (userId: string) => number;
	/** The timer that lets held events go when no emit comes (tests replace it). */
	holdTimer?: (release: () => void, ms: number) => void;
}

export interface RelayStats {
	events: number;
	rpcCalls: number;
	/** Deltas that joined the delta before them while it waited (`mergeDeltas`). */
	merged: number;
	/** Events some hub never acknowledged (after every retry). */
	undelivered: number;
}

/**
 * The one way out to the hubs. Every event is queued per hub in order and published with
 * retries (stable ids make a retry safe: the hub stores an id once). The first event of a
 * burst leaves at once; what follows while that call is out coalesces into the next call,
 * which leaves as soon as it returns (one call in flight per hub keeps each hub's order).
 * So a lone event (a text delta) reaches the socket one RPC after it happened, and a burst
 * costs a few calls rather than one per event. `emit` doesn't wait; `send` waits until its
 * hubs have everything queued so far. A publish that keeps failing stays queued for the
 * next emit or flush rather than being dropped.
 */
export class Relay {
	readonly #options: RelayOptions;
	readonly #pending = new Map<string, PublishEvent[]>();
	/** The call in flight to each hub (and the ones that follow it while there is more). */
	readonly #pumps = new Map<string, Promise<boolean>>();
	/** Hubs whose first call is about to start (at the end of this synchronous stretch). */
	readonly #kicked = new Set<string>();
	/** Events whose seqs a `send` is waiting to hear, by hub. */
	readonly #watched = new Map<PublishEvent, Map<string, number>>();
	/** When the last call to each paced hub started. */
	readonly #lastCall = new Map<string, number>();
	/** Paced hubs with events held until their pace has passed. */
	readonly #held = new Set<string>();
	/** Events that have been in a call (to any hub): never merged into, whatever came of the call. */
	readonly #tried = new WeakSet<PublishEvent>();
	readonly stats: RelayStats = { events: 0, rpcCalls: 0, undelivered: 0, merged: 0 };

	constructor(options: RelayOptions) {
		this.#options = options;
	}

	/**
	 * Queues one event for each hub of `audience`. It leaves at once (with whatever else is
	 * emitted in the same synchronous stretch: a microtask later), or with the call after the
	 * one in flight.
	 */
	emit(audience: readonly string[], event: PublishEvent): void {
		this.#enqueue(audience, [event]);
		for (const userId of new Set(audience)) this.#kick(userId);
		for (const userId of this.#held) this.#kick(userId);
	}

	/**
	 * Sends `events` to each hub of `audience` now (after anything queued before them) and
	 * waits; never throws. Resolves with the seq each hub gave the last of them, for the
	 * hubs that have them. The hubs of `forward` get them too: from the first hub of
	 * `audience`, which passes them on paced (when the relay has a `forward`), so a hub every
	 * request writes to (the agent's) gets a few calls a second instead of one per request.
	 */
	async send(
		audience: readonly string[],
		events: PublishEvent[],
		{ forward = [] }: { forward?: readonly string[] } = {},
	): Promise<Map<string, number>> {
		const passOn = forward.filter((userId) => !audience.includes(userId));
		const first = audience[0];
		if (passOn.length > 0 && this.#options.forward && first !== undefined) {
			return this.#sendForwarded(first, audience, passOn, events);
		}
		return this.#sendNow([...audience, ...passOn], events);
	}

	/**
	 * `send` where the first hub of `audience` passes the events on to `forward` (paced, with
	 * what other requests send it meanwhile), instead of one call from here to each. Should
	 * that call fail, everything goes the direct way.
	 */
	async #sendForwarded(
		first: string,
		audience: readonly string[],
		forward: readonly string[],
		events: PublishEvent[],
	): Promise<Map<string, number>> {
		const forwarder = this.#options.forward as Forwarder;
		const rest = audience.filter((userId) => userId !== first);
		const others = rest.length > 0 ? this.#sendNow(rest, events) : Promise.resolve(new Map<string, number>());
		// What was queued for that hub before goes first.
		await this.#drain(first);
		this.stats.rpcCalls++;
		const outcome = await publishWithRetry(
			(userId, batch) => forwarder(userId, batch, forward),
			first,
			events,
			this.#options.retry,
		);
		// (The direct way counts the events itself.)
		if (outcome.kind !== "delivered") {
			return new Map([...(await this.#sendNow([first, ...forward], events)), ...(await others)]);
		}
		this.stats.events += events.length;
		const seqs = await others;
		const seq = outcome.seqs?.at(-1);
		if (seq !== undefined) seqs.set(first, seq);
		return seqs;
	}

	async #sendNow(audience: readonly string[], events: PublishEvent[]): Promise<Map<string, number>> {
		const seqs = new Map<string, number>();
		const last = events.at(-1);
		if (last) this.#watched.set(last, seqs);
		this.#enqueue(audience, events);
		const hubs = [...new Set(audience)];
		await Promise.all(hubs.map((userId) => this.#drain(userId)));
		if (last) this.#watched.delete(last);
		const stuck = hubs.filter((userId) => (this.#pending.get(userId)?.length ?? 0) > 0);
		if (stuck.length > 0) log.warn("events not delivered to every hub yet", { users: stuck, events: events.length });
		return seqs;
	}

	/**
	 * Sends everything queued so far; resolves when the hubs have it (or a call gave up for now).
	 * `paced: false` leaves paced hubs to their pace (what they hold goes with a later call, and
	 * at `close` at the latest): a run's end needn't cost the agent hub a call of its own.
	 */
	async flush({ paced = true }: { paced?: boolean } = {}): Promise<void> {
		const hubs = [...this.#pending.keys()].filter((userId) => paced || (this.#options.paceMs?.(userId) ?? 0) <= 0);
		await Promise.all(hubs.map((userId) => this.#drain(userId)));
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
			if (!queue) {
				this.#pending.set(userId, [...events]);
				continue;
			}
			for (const event of events) {
				// A delta waiting behind the call in flight joins the delta before it, unless that one
				// has been in a call (a hub may have stored its id: a retry would drop the new text)
				// or a `send` waits for its seq. A copy: queues share event objects.
				const last = queue.at(-1);
				const merged =
					last &&
					!this.#tried.has(last) &&
					!this.#watched.has(last) &&
					!this.#watched.has(event) &&
					mergeDeltas(last, event);
				if (merged) {
					queue[queue.length - 1] = merged;
					this.stats.merged++;
				} else queue.push(event);
			}
		}
	}

	#record(userId: string, batch: PublishEvent[], seqs: number[] | undefined): void {
		batch.forEach((event, i) => {
			const seq = seqs?.[i];
			if (seq !== undefined) this.#watched.get(event)?.set(userId, seq);
		});
	}

	/**
	 * Starts the hub's next call at the end of this synchronous stretch (so what is emitted in
	 * it shares the call), unless one is out or coming, or its pace holds it.
	 */
	#kick(userId: string): void {
		if (this.#pumps.has(userId) || this.#kicked.has(userId)) return;
		const wait = this.#paceLeft(userId);
		if (wait > 0) {
			this.#hold(userId, wait);
			return;
		}
		this.#held.delete(userId);
		this.#kicked.add(userId);
		queueMicrotask(() => {
			this.#kicked.delete(userId);
			void this.#pump(userId);
		});
	}

	/** Holds a paced hub's events; a timer lets them go if no emit does first. */
	#hold(userId: string, wait: number): void {
		if (this.#held.has(userId)) return;
		this.#held.add(userId);
		const timer = this.#options.holdTimer ?? ((release, ms) => void setTimeout(release, ms));
		timer(() => {
			if (this.#held.delete(userId)) this.#kick(userId);
		}, wait);
	}

	/** How long the hub's pace still holds its next call (0: go now; the first call of a quiet spell always goes at once). */
	#paceLeft(userId: string): number {
		const pace = this.#options.paceMs?.(userId) ?? 0;
		if (pace <= 0) return 0;
		const last = this.#lastCall.get(userId);
		return last === undefined ? 0 : Math.max(0, last + pace - Date.now());
	}

	/** Until the hub's queue is empty or a call failed: waits for the call in flight, starts one if needed (pace or not). */
	async #drain(userId: string): Promise<void> {
		let ok = true;
		while (ok && ((this.#pending.get(userId)?.length ?? 0) > 0 || this.#pumps.has(userId))) {
			ok = await this.#pump(userId, true);
		}
	}

	/**
	 * The hub's call in flight, or a new one if its queue has events. Resolves false when a
	 * call failed. `flushing`: send what is held now, whatever the pace.
	 */
	#pump(userId: string, flushing = false): Promise<boolean> {
		const running = this.#pumps.get(userId);
		if (running) return running;
		if ((this.#pending.get(userId)?.length ?? 0) === 0) return Promise.resolve(true);
		// #send awaits its first call before it can finish, so this is set before it is cleared.
		const pump = this.#send(userId, flushing);
		this.#pumps.set(userId, pump);
		return pump;
	}

	async #send(userId: string, flushing: boolean): Promise<boolean> {
		const queue = this.#pending.get(userId) ?? [];
		try {
			while (queue.length > 0) {
				// A paced hub's next call waits for its pace (held: the next emit or the timer sends it).
				if (!flushing) {
					const wait = this.#paceLeft(userId);
					if (wait > 0) {
						this.#hold(userId, wait);
						return true;
					}
				}
				if (this.#options.paceMs) this.#lastCall.set(userId, Date.now());
				this.#held.delete(userId);
				const batch = queue.slice(0, LIMITS.publishBatch);
				this.stats.rpcCalls++;
				for (const event of batch) this.#tried.add(event);
				const outcome = await publishWithRetry(this.#options.publish, userId, batch, this.#options.retry);
				if (outcome.kind === "failed") return false; // keep them; the next emit or flush tries again
				if (outcome.kind === "refused") this.stats.undelivered += batch.length;
				else if (this.#watched.size > 0) this.#record(userId, batch, outcome.seqs);
				queue.splice(0, batch.length);
			}
			return true;
		} finally {
			// Synchronous with the last look at the queue: an event queued later starts a new call.
			this.#pumps.delete(userId);
		}
	}
}
