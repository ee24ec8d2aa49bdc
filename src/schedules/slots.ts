import { nextSlot, type Timing } from "./timing.ts";

export type DueRun =
	| { run: false }
	/**
	 * Run once for `slot` (the first slot that came due: the task's idempotency key, so a
	 * doubled tick makes one task), then wait for `next`. Slots missed while the service was
	 * down (`skipped`) collapse into this one run.
	 */
	| { run: true; slot: number; next: number | null; skipped: number };

/** What the minute tick should do for one schedule at `now`. Pure. */
export function dueRun(timing: Timing, nextRunAt: number | null, now: number): DueRun {
	if (nextRunAt === null || nextRunAt > now) return { run: false };
	const next = nextSlot(timing, now);
	return { run: true, slot: nextRunAt, next, skipped: countSlots(timing, nextRunAt, now) };
}

/** Slots in (from, to], capped: how many runs a downtime swallowed. */
function countSlots(timing: Timing, from: number, to: number, cap = 10_000): number {
	if (timing.kind === "every") return Math.min(cap, Math.floor((to - from) / timing.everyMs));
	let count = 0;
	for (let at = nextSlot(timing, from); at !== null && at <= to && count < cap; at = nextSlot(timing, at)) count++;
	return count;
}
