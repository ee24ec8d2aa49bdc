import type { Outbox } from "./outbox.ts";

/**
 * At most one call every this many ms to the agent's hub from one relay (the runner's, a
 * hub's forwarder): every task writes to that hub, so each writer costs it a bounded number
 * of calls a second, and what it sends meanwhile shares the call.
 */
export const AGENT_HUB_PACE_MS = 250;

/** The timer that lets held events go when no emit comes (tests replace it). */
export type HoldTimer = (release: () => void, ms: number) => void;

const timeout: HoldTimer = (release, ms) => void setTimeout(release, ms);

/**
 * The pacing policy. A paced hub (`Outbox.paceMs` > 0: the relay's own pace for the agent's
 * hub, or the pace a busy hub asked for in its last answer) gets at most one call per pace; the
 * first call of a quiet spell always leaves at once. What arrives while the pace holds is
 * held, and leaves with the first emit (to any hub) after the pace has passed, or on a timer
 * when all is quiet: in a busy isolate timers fire late (seconds late, measured), emits don't
 * stop coming. A flush (`send`, `flush`, `close`) ignores the pace. A gathering pacer holds
 * the first call of a quiet spell too.
 */
export class Pacer {
	readonly #timer: HoldTimer;
	readonly #gather: boolean;
	/** Paced hubs with events held until their pace has passed. */
	readonly #held = new Set<Outbox>();

	/**
	 * `gather`: the first event of a quiet spell waits the pace too, and what follows it
	 * meanwhile shares its call (a hub's forwarder: nobody waits on those calls).
	 */
	constructor(timer: HoldTimer = timeout, { gather = false }: { gather?: boolean } = {}) {
		this.#timer = timer;
		this.#gather = gather;
	}

	/** How long the hub's pace still holds its next call (0: it may go now). */
	left(box: Outbox, now: number): number {
		if (box.paceMs <= 0) return 0;
		// From the last call's start and, gathering, from the first waiting event's arrival (never: no hold).
		const waiting = this.#gather ? box.waitingSince : undefined;
		const since = Math.max(box.lastCallAt ?? -Infinity, waiting ?? -Infinity);
		return Math.max(0, since + box.paceMs - now);
	}

	/** A call to the hub starts now: its pace counts from here, and nothing of it is held. */
	started(box: Outbox, now: number): void {
		box.lastCallAt = now;
		this.#held.delete(box);
	}

	/** Holds the hub for `ms`; then the timer calls `release`, unless an emit let it go first. */
	hold(box: Outbox, ms: number, release: () => void): void {
		if (this.#held.has(box)) return;
		this.#held.add(box);
		this.#timer(() => {
			if (this.#held.delete(box)) release();
		}, ms);
	}

	/** Lets a held hub go (its call is about to start). */
	release(box: Outbox): void {
		this.#held.delete(box);
	}

	/** The hubs held now (an emit tries each again). */
	held(): Iterable<Outbox> {
		return this.#held;
	}
}
