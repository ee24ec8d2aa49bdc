import { log } from "../log.ts";
import { LIMITS, type PublishEvent } from "../protocol/index.ts";
import { appendMerging } from "./coalesce.ts";
import { fallbackOf, routeOf } from "./forwarding.ts";
import { Outbox, Receipts } from "./outbox.ts";
import { type HoldTimer, Pacer } from "./pacing.ts";
import { type Forwarder, type Publisher, publishWithRetry, type RetryOptions } from "./publish.ts";

export interface RelayOptions {
	publish: Publisher;
	/** How `send(…, { forward })` reaches a hub that passes events on; without it they go to each hub directly. */
	forward?: Forwarder;
	retry?: RetryOptions;
	/** The least time between the starts of two calls to one hub (0: none); see pacing.ts. */
	paceMs?: (userId: string) => number;
	/** The timer that lets held events go when no emit comes (tests replace it). */
	holdTimer?: HoldTimer;
	/** A paced hub's first event of a quiet spell waits the pace too (pacing.ts); for a hub's forwarder. */
	gather?: boolean;
}

export interface RelayStats {
	events: number;
	rpcCalls: number;
	/** Deltas that joined the delta before them while it waited (`mergeDeltas`). */
	merged: number;
	/** Events some hub never acknowledged (after every retry). */
	undelivered: number;
}

/** Timed retries of a hub whose call failed, before only a later emit or flush retries it. */
const RETRY_LATER_TRIES = 5;

/**
 * The one way out to the hubs: one `Outbox` per destination hub, in order, published with
 * retries (publish.ts; stable ids make a retry safe: the hub stores an id once). The first
 * event of a burst leaves at once; what follows while that call is out waits in the outbox
 * and shares the next call, which leaves as soon as it returns (one call in flight per hub
 * keeps each hub's order). So a lone event (a text delta) reaches the socket one RPC after it
 * happened, and a burst costs a few calls rather than one per event. Three policies, each in
 * its own module: pacing (pacing.ts: a paced hub at most one call per pace), merging
 * (coalesce.ts: waiting deltas of one message become one event) and forwarding
 * (forwarding.ts: `send` through the first hub of the audience). `emit` doesn't wait; `send`
 * waits until its hubs have everything queued so far. A publish that keeps failing stays
 * queued (retried on a timer a few times, then by the next emit or flush) rather than dropped.
 */
export class Relay {
	readonly #publish: Publisher;
	readonly #forward: Forwarder | undefined;
	readonly #retry: RetryOptions | undefined;
	readonly #paceOf: (userId: string) => number;
	readonly #outboxes = new Map<string, Outbox>();
	readonly #receipts = new Receipts();
	readonly #pacer: Pacer;
	/** This relay's name to the hubs it calls: each counts its writers to pace them (hub/intake-pace.ts). */
	readonly id = crypto.randomUUID();
	readonly stats: RelayStats = { events: 0, rpcCalls: 0, undelivered: 0, merged: 0 };

	constructor(options: RelayOptions) {
		this.#publish = options.publish;
		this.#forward = options.forward;
		this.#retry = options.retry;
		this.#paceOf = options.paceMs ?? (() => 0);
		this.#pacer = new Pacer(options.holdTimer, { gather: options.gather });
	}

	/**
	 * Queues one event for each hub of `audience`. It leaves at once (with whatever else is
	 * emitted in the same synchronous stretch: a microtask later), or with the call after the
	 * one in flight. Paced hubs holding events whose pace has passed go too.
	 */
	emit(audience: readonly string[], event: PublishEvent): void {
		const boxes = this.#enqueue(audience, [event]);
		for (const box of boxes) this.#kick(box);
		for (const box of this.#pacer.held()) this.#kick(box);
	}

	/**
	 * Sends `events` to each hub of `audience` now (after anything queued before them) and
	 * waits; never throws. Resolves with the seq each hub gave the last of them, for the
	 * hubs that have them. The hubs of `forward` get them too, as forwarding.ts says.
	 */
	async send(
		audience: readonly string[],
		events: PublishEvent[],
		{ forward = [] }: { forward?: readonly string[] } = {},
	): Promise<Map<string, number>> {
		const route = routeOf(audience, forward, this.#forward !== undefined);
		if (route.via === undefined) return this.#sendNow(route.direct, events);
		const forwarder = this.#forward as Forwarder;
		const { via, passOn } = route;
		const others = route.direct.length > 0 ? this.#sendNow(route.direct, events) : Promise.resolve(new Map());
		// What was queued for that hub before goes first.
		const box = this.#outboxes.get(via);
		if (box) await this.#drain(box);
		this.stats.rpcCalls++;
		this.#receipts.carried(events);
		const outcome = await publishWithRetry(
			(userId, batch) => forwarder(userId, batch, passOn),
			via,
			events,
			this.#retry,
		);
		// (The direct way counts the events itself.)
		if (outcome.kind !== "delivered") {
			return new Map([...(await this.#sendNow(fallbackOf(route), events)), ...(await others)]);
		}
		this.stats.events += events.length;
		const seqs = await others;
		const seq = outcome.seqs?.at(-1);
		if (seq !== undefined) seqs.set(via, seq);
		return seqs;
	}

	/**
	 * Sends everything queued so far; resolves when the hubs have it (or a call gave up for now).
	 * `paced: false` leaves paced hubs to their pace (what they hold goes with a later call, and
	 * at `close` at the latest): a run's end needn't cost the agent hub a call of its own.
	 */
	async flush({ paced = true }: { paced?: boolean } = {}): Promise<void> {
		// A hub's own pace (a busy hub's answer) doesn't hold a run's end back: only the relay's (the agent's).
		const boxes = [...this.#outboxes.values()].filter((box) => paced || box.basePaceMs <= 0);
		await Promise.all(boxes.map((box) => this.#drain(box)));
	}

	/** Final flush; counts what could not be delivered. */
	async close(): Promise<RelayStats> {
		await this.flush();
		for (const box of this.#outboxes.values()) {
			if (box.queue.length === 0) continue;
			this.stats.undelivered += box.queue.length;
			log.error("relay gave up on events", { userId: box.userId, events: box.queue.length });
			box.queue.length = 0;
		}
		return this.stats;
	}

	/** The publisher, naming this relay as the writer: the hub's answer paces this relay's calls. */
	readonly #publishAsWriter: Publisher = (userId, events) => this.#publish(userId, events, this.id);

	async #sendNow(audience: readonly string[], events: PublishEvent[]): Promise<Map<string, number>> {
		const last = events.at(-1);
		const seqs = last ? this.#receipts.await(last) : new Map<string, number>();
		const boxes = this.#enqueue(audience, events);
		await Promise.all(boxes.map((box) => this.#drain(box)));
		if (last) this.#receipts.release(last, seqs);
		const stuck = boxes.filter((box) => box.queue.length > 0).map((box) => box.userId);
		if (stuck.length > 0) log.warn("events not delivered to every hub yet", { users: stuck, events: events.length });
		return seqs;
	}

	/** Appends the events to each hub's outbox (merging what may merge); the outboxes, once each. */
	#enqueue(audience: readonly string[], events: PublishEvent[]): Outbox[] {
		this.stats.events += events.length;
		const boxes = [...new Set(audience)].map((userId) => this.#outbox(userId));
		for (const box of boxes) {
			if (box.queue.length === 0) box.waitingSince = Date.now();
			for (const event of events) {
				if (appendMerging(box.queue, event, this.#receipts.pinned)) this.stats.merged++;
			}
		}
		return boxes;
	}

	#outbox(userId: string): Outbox {
		let box = this.#outboxes.get(userId);
		if (!box) {
			box = new Outbox(userId, this.#paceOf(userId));
			this.#outboxes.set(userId, box);
		}
		return box;
	}

	/**
	 * Starts the hub's next call at the end of this synchronous stretch (so what is emitted in
	 * it shares the call), unless one is out or coming, or its pace holds it.
	 */
	#kick(box: Outbox): void {
		if (box.pump || box.kicked || this.#heldByPace(box)) return;
		this.#pacer.release(box);
		box.kicked = true;
		queueMicrotask(() => {
			box.kicked = false;
			void this.#pump(box);
		});
	}

	/** True when the hub's pace holds its next call (a timer lets it go, if no emit does first). */
	#heldByPace(box: Outbox): boolean {
		const wait = this.#pacer.left(box, Date.now());
		if (wait <= 0) return false;
		this.#pacer.hold(box, wait, () => this.#kick(box));
		return true;
	}

	/**
	 * After a failed call: try the hub again on a timer, backing off (1 s, 2 s, … 16 s, with
	 * jitter) for a few tries; past them only a later emit or flush retries (as before).
	 */
	#retryLater(box: Outbox): void {
		box.failures++;
		if (box.failures > RETRY_LATER_TRIES) return;
		const ms = 1000 * 2 ** (box.failures - 1) * (0.5 + Math.random() / 2);
		this.#pacer.hold(box, ms, () => this.#kick(box));
	}

	/** Until the hub's outbox is empty or a call failed: waits for the call in flight, starts one if needed (pace or not). */
	async #drain(box: Outbox): Promise<void> {
		let ok = true;
		while (ok && box.busy) ok = await this.#pump(box, true);
	}

	/**
	 * The hub's call in flight, or a new one if its outbox has events (and its pace lets it, when
	 * not `flushing`). Resolves false when a call failed.
	 */
	#pump(box: Outbox, flushing = false): Promise<boolean> {
		if (box.pump) return box.pump;
		if (box.queue.length === 0 || (!flushing && this.#heldByPace(box))) return Promise.resolve(true);
		// #calls awaits its first call before it can finish, so this is set before it is cleared.
		box.pump = this.#calls(box, flushing);
		return box.pump;
	}

	/** Calls the hub until its outbox is empty (or, unless `flushing`, its pace holds the rest). */
	async #calls(box: Outbox, flushing: boolean): Promise<boolean> {
		try {
			do {
				this.#pacer.started(box, Date.now());
				const batch = box.queue.slice(0, LIMITS.publishBatch);
				this.stats.rpcCalls++;
				this.#receipts.carried(batch);
				// Only a relay that streams (emits) names itself: a one-off `send` isn't a writer to pace.
				const publish = flushing ? this.#publish : this.#publishAsWriter;
				const outcome = await publishWithRetry(publish, box.userId, batch, this.#retry);
				if (outcome.kind === "failed") {
					// Keep them: the next emit or flush tries again, and so does a timer, in case
					// nothing else comes (a hub's forwarder may hear nothing more for a long time).
					this.#retryLater(box);
					return false;
				}
				box.failures = 0;
				if (outcome.kind === "refused") this.stats.undelivered += batch.length;
				else {
					this.#receipts.record(box.userId, batch, outcome.seqs);
					box.hubPaceMs = outcome.paceMs ?? 0;
				}
				box.queue.splice(0, batch.length);
				if (box.queue.length === 0) box.waitingSince = undefined;
			} while (box.queue.length > 0 && (flushing || !this.#heldByPace(box)));
			return true;
		} finally {
			// Synchronous with the last look at the queue: an event queued later starts a new call.
			box.pump = undefined;
		}
	}
}
