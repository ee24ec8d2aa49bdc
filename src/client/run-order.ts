import type { HubEnvelope } from "../protocol/index.ts";

/** Orders of run events are this far apart per attempt: above any seq a hub will reach. */
const ATTEMPT_SPAN = 2 ** 40;

/**
 * Where an event goes within its turn. Agent events carry ids `<task>:<attempt>:<n>`, the
 * same on every hub that received them, so their order is (attempt, n): events of one run
 * read from another user's hub (`GET /api/tasks/:id/events` reads the creator's, whose seqs
 * differ from the viewer's) merge with live ones in the right order. Other events use seq.
 */
export function orderOf(e: Pick<HubEnvelope, "id" | "seq" | "task_id" | "attempt">): number {
	return runPosition(e) ?? e.seq;
}

/** The (attempt, n) order of an event whose id is `<task>:<attempt>:<n>`; undefined for any other id. */
export function runPosition(e: Pick<HubEnvelope, "id" | "task_id" | "attempt">): number | undefined {
	if (!e.task_id || e.attempt === undefined) return undefined;
	const prefix = `${e.task_id}:${e.attempt}:`;
	if (!e.id.startsWith(prefix)) return undefined;
	const n = Number(e.id.slice(prefix.length));
	return Number.isSafeInteger(n) && n > 0 && n < ATTEMPT_SPAN ? e.attempt * ATTEMPT_SPAN + n : undefined;
}
