/**
 * The board's rolling counts: tasks started, ended and failed in each minute of the last hour,
 * for its chart (`Board.series`) and its failed-in-the-last-hour count.
 */

export const MINUTE = 60_000;
const HOUR_MINUTES = 60;

export class MinuteCounts {
	/** Minute index → started/ended/failed counts (for the chart and the failed count). */
	readonly #minutes = new Map<number, { started: number; ended: number; failed: number }>();

	bump(ts: number, what: "started" | "ended" | "failed"): void {
		const minute = Math.floor(ts / MINUTE);
		let m = this.#minutes.get(minute);
		if (!m) {
			m = { started: 0, ended: 0, failed: 0 };
			this.#minutes.set(minute, m);
		}
		m[what]++;
	}

	/** Drops minutes older than the last hour: the chart never shows them. */
	prune(now: number): void {
		const oldest = Math.floor(now / MINUTE) - HOUR_MINUTES;
		for (const minute of this.#minutes.keys()) if (minute < oldest) this.#minutes.delete(minute);
	}

	failedLastHour(now: number): number {
		const from = Math.floor(now / MINUTE) - HOUR_MINUTES + 1;
		let failed = 0;
		for (const [minute, m] of this.#minutes) if (minute >= from) failed += m.failed;
		return failed;
	}

	/** Tasks started and ended in each of the last 60 minutes, oldest first (index 59: this minute). */
	series(now: number): { minute: number; started: number; ended: number }[] {
		const last = Math.floor(now / MINUTE);
		return Array.from({ length: HOUR_MINUTES }, (_, i) => {
			const minute = last - HOUR_MINUTES + 1 + i;
			const m = this.#minutes.get(minute);
			return { minute: minute * MINUTE, started: m?.started ?? 0, ended: m?.ended ?? 0 };
		});
	}
}
