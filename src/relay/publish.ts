import { hubFor } from "../hub/stub.ts";
import { log } from "../log.ts";
import type { PublishEvent } from "../protocol/index.ts";

/** One RPC to one user's hub. A hub answers with the seq it gave each event (test doubles may not). */
export type Publisher = (userId: string, events: PublishEvent[]) => Promise<unknown>;

export type PublishOutcome =
	| { kind: "delivered"; seqs: number[] | undefined }
	/** Every retry failed: worth trying again later. */
	| { kind: "failed" }
	/** The hub will never take them (malformed). */
	| { kind: "refused" };

/**
 * One RPC to one user's hub that stores events there and has that hub pass them on to the
 * hubs of `forwardTo`, paced (`UserHub.publishAndForward`).
 */
export type Forwarder = (userId: string, events: PublishEvent[], forwardTo: readonly string[]) => Promise<unknown>;

/** The real publisher: one RPC to the user's hub. A fresh stub per call (a broken stub stays broken). */
export const hubPublisher =
	(env: Env): Publisher =>
	(userId, events) =>
		hubFor(env, userId).publish(events);

/** The real forwarder: one RPC to the user's hub, which passes the events on. */
export const hubForwarder =
	(env: Env): Forwarder =>
	(userId, events, forwardTo) =>
		hubFor(env, userId).publishAndForward(events, [...forwardTo]);

export interface RetryOptions {
	attempts?: number;
	baseMs?: number;
}

/** A publish the hub refused as malformed will never succeed: don't retry it. */
export function isPermanentPublishError(error: unknown): boolean {
	return error instanceof Error && error.message.startsWith("invalid publish batch");
}

/**
 * Publishes with retries and backoff. Safe to retry because every event carries a stable
 * id and the hub stores an id once. `refused`: the hub will never take them (malformed).
 */
export async function publishWithRetry(
	publish: Publisher,
	userId: string,
	events: PublishEvent[],
	{ attempts = 4, baseMs = 50 }: RetryOptions = {},
): Promise<PublishOutcome> {
	for (let attempt = 1; ; attempt++) {
		try {
			const answer = await publish(userId, events);
			return { kind: "delivered", seqs: seqsOf(answer) };
		} catch (error) {
			const permanent = isPermanentPublishError(error);
			if (permanent || attempt >= attempts) {
				log.error("publish to hub failed", { userId, events: events.length, attempt, permanent, error });
				return { kind: permanent ? "refused" : "failed" };
			}
			await sleep(baseMs * 2 ** (attempt - 1));
		}
	}
}

/** The seqs in a hub's answer (`{ seqs }`), if it gave them. */
function seqsOf(answer: unknown): number[] | undefined {
	const seqs = (answer as { seqs?: unknown } | null | undefined)?.seqs;
	return Array.isArray(seqs) ? seqs : undefined;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
