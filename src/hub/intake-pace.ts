/**
 * How many publish calls a second a hub takes from its writers while few tasks stream into it:
 * a tenth of Cloudflare's documented ~1,000 requests a second per object, so the rest stays free
 * for what else a user's hub answers (sockets, replays, rate units, stream leases, task reads).
 */
export const HUB_CALL_BUDGET = 100;

/** Streaming tasks the hub takes at its whole budget; past them the budget shrinks in proportion. */
export const FULL_BUDGET_TASKS = 16;

/** The least the budget shrinks to, however many tasks stream. */
export const MIN_HUB_CALL_BUDGET = 20;

/** The longest pace a hub asks for: how far behind the runs a watcher may fall because of it. */
export const MAX_HUB_PACE_MS = 1000;

/** The share of the budget a hub takes unpaced: below it, nobody is held back (a lone chat streams as fast as it goes). */
const CALM_SHARE = 0.8;

/** How far back the hub looks to count its calls, writers and streaming tasks. */
const WINDOW_MS = 1000;

/**
 * A hub's word to the relays that write to it (issue #33). A user who runs hundreds of tasks at
 * once has them spread over many consumer batches, each with its own relay, and each relay sends
 * the hub one call at a time with everything that waited merged into it (one event per
 * streaming message): the hub's load is calls, and calls grow with relays, not with tasks. So
 * the hub counts, over the last second, its calls, the writers that made them and the tasks
 * their events belong to, and answers each publish with a pace. Its budget is
 * `HUB_CALL_BUDGET` calls a second while at most `FULL_BUDGET_TASKS` tasks stream, and shrinks
 * in proportion past them (down to `MIN_HUB_CALL_BUDGET`): many tasks make fuller calls, not
 * more of them. Calm (calls under 80% of the budget): no pace, and a lone chat streams as fast
 * as it goes. Busy: `writers × 1000 / budget` ms between one writer's calls, so that all of
 * them together stay within the budget, up to `MAX_HUB_PACE_MS`. A relay keeps the pace it was
 * last given for that hub (relay/outbox.ts); what it holds meanwhile shares its next call.
 * Calls without a writer (a request's `send`, a relay of an older release) count as calls, not
 * writers. Pure: time is passed in.
 */
export class IntakePace {
	readonly #writers = new Recent();
	readonly #tasks = new Recent();
	/** Calls in the current window and in the one before it. */
	#windowStart = 0;
	#current = 0;
	#previous = 0;

	/** Counts one publish call from `writer` (if it said who it is) carrying events of `tasks`; answers the pace every writer should keep now. */
	call(writer: string | undefined, tasks: Iterable<string | undefined>, now: number): number {
		this.#roll(now);
		this.#current++;
		if (writer !== undefined) this.#writers.saw(writer, now);
		// A batch is mostly runs of one task's events: each run is noted once.
		let last: string | undefined;
		for (const task of tasks) {
			if (task === undefined || task === last) continue;
			this.#tasks.saw(task, now);
			last = task;
		}
		return this.pace(now);
	}

	/** The calls a second the hub takes now: the whole budget for a few streaming tasks, less past them. */
	budget(now: number): number {
		const tasks = this.#tasks.count(now);
		if (tasks <= FULL_BUDGET_TASKS) return HUB_CALL_BUDGET;
		return Math.max(MIN_HUB_CALL_BUDGET, (HUB_CALL_BUDGET * FULL_BUDGET_TASKS) / tasks);
	}

	/** The pace (ms between one writer's calls) the hub asks for now: 0 while calm. */
	pace(now: number): number {
		const budget = this.budget(now);
		if (this.callsPerSecond(now) < budget * CALM_SHARE) return 0;
		const writers = Math.max(1, this.#writers.count(now));
		return Math.min(MAX_HUB_PACE_MS, Math.ceil((writers * 1000) / budget));
	}

	/** Calls over the last second: this window's, and the part of the last one it still overlaps. */
	callsPerSecond(now: number): number {
		this.#roll(now);
		return this.#current + this.#previous * (1 - (now - this.#windowStart) / WINDOW_MS);
	}

	/** The writers heard from in the last second (diagnostics). */
	writers(now: number): number {
		return this.#writers.count(now);
	}

	/** The tasks whose events came in the last second (diagnostics). */
	tasks(now: number): number {
		return this.#tasks.count(now);
	}

	/** Brings the windows up to `now`: the current one becomes the one before once it has ended. */
	#roll(now: number): void {
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
	}
}

/** Keys seen within the last window, oldest first (seeing one again moves it to the end). */
class Recent {
	readonly #seen = new Map<string, number>();

	saw(key: string, now: number): void {
		this.#seen.delete(key);
		this.#seen.set(key, now);
	}

	/** How many were seen within the window before `now`; forgets the older ones. */
	count(now: number): number {
		for (const [key, at] of this.#seen) {
			if (at > now - WINDOW_MS) break;
			this.#seen.delete(key);
		}
		return this.#seen.size;
	}
}
