/**
 * How many publish calls a second a hub takes from its writers before it asks them to space
 * their calls: a tenth of Cloudflare's documented ~1,000 requests a second per object, so the
 * rest stays free for what else a user's hub answers (sockets, replays, rate units, stream
 * leases, task reads).
 */
export const HUB_CALL_BUDGET = 100;

/** The longest pace a hub asks for: how far behind the runs a watcher may fall because of it. */
export const MAX_HUB_PACE_MS = 1000;

/** The share of the budget a hub takes unpaced: below it, nobody is held back (a lone chat streams as fast as it goes). */
const CALM_SHARE = 0.8;

/** How far back the hub looks to count its writers and its calls. */
const WINDOW_MS = 1000;

/**
 * A hub's word to the relays that write to it (issue #33). A user who runs hundreds of tasks at
 * once has them spread over many consumer batches, each with its own relay, and each relay
 * sends the hub one call at a time with everything that waited merged into it: the hub's load
 * is calls, and calls grow with relays, not with tasks. So the hub counts the writers that
 * called it in the last second and answers each publish with a pace: calm (fewer calls in that
 * second than 80% of the budget), none, and a lone chat streams as fast as it goes; busy,
 * `writers × 1000 / budget` ms between one writer's calls, so that all of them together make at
 * most `HUB_CALL_BUDGET` calls a second, up to `MAX_HUB_PACE_MS`. A relay keeps the pace it was
 * last given for that hub (relay/outbox.ts); what it holds meanwhile shares its next call.
 * Calls without a writer (a request's `send`, a relay of an older release) count as calls, not
 * writers. Pure: time is passed in.
 */
export class IntakePace {
	/** Writer → when it last called; oldest first (a call moves its writer to the end). */
	readonly #writers = new Map<string, number>();
	/** Calls in the current window and in the one before it. */
	#windowStart = 0;
	#current = 0;
	#previous = 0;

	readonly #budget: number;
	readonly #maxPaceMs: number;

	constructor(budget = HUB_CALL_BUDGET, maxPaceMs = MAX_HUB_PACE_MS) {
		this.#budget = budget;
		this.#maxPaceMs = maxPaceMs;
	}

	/** Counts one publish call (from `writer`, if it said who it is); answers the pace every writer should keep now. */
	call(writer: string | undefined, now: number): number {
		this.#count(now);
		if (writer !== undefined) {
			this.#writers.delete(writer);
			this.#writers.set(writer, now);
		}
		return this.pace(now);
	}

	/** The pace (ms between one writer's calls) the hub asks for now: 0 while calm. */
	pace(now: number): number {
		this.#count(now, 0);
		if (this.callsPerSecond(now) < this.#budget * CALM_SHARE) return 0;
		for (const [writer, at] of this.#writers) {
			if (at > now - WINDOW_MS) break;
			this.#writers.delete(writer);
		}
		const writers = Math.max(1, this.#writers.size);
		return Math.min(this.#maxPaceMs, Math.ceil((writers * 1000) / this.#budget));
	}

	/** Calls over the last second: this window's, and the part of the last one it still overlaps. */
	callsPerSecond(now: number): number {
		const elapsed = now - this.#windowStart;
		if (elapsed >= 2 * WINDOW_MS) return 0;
		// The current window has ended: it is the one before now, and fades as the next goes on.
		if (elapsed >= WINDOW_MS) return this.#current * (1 - (elapsed - WINDOW_MS) / WINDOW_MS);
		return this.#current + this.#previous * (1 - elapsed / WINDOW_MS);
	}

	/** The writers heard from in the last second (diagnostics). */
	writers(now: number): number {
		let count = 0;
		for (const at of this.#writers.values()) if (at > now - WINDOW_MS) count++;
		return count;
	}

	#count(now: number, calls = 1): void {
		const elapsed = now - this.#windowStart;
		if (elapsed >= 2 * WINDOW_MS) {
			this.#previous = 0;
			this.#current = 0;
			this.#windowStart = now;
		} else if (elapsed >= WINDOW_MS) {
			this.#previous = this.#current;
			this.#current = 0;
			this.#windowStart += WINDOW_MS;
		}
		this.#current += calls;
	}
}
