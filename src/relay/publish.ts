import { hubFor, InvalidPublishError } from "../hub/stub.ts";
import { log } from "../log.ts";
import type { PublishEvent } from "../protocol/index.ts";

/**
 * One RPC to one user's hub, from `writer` (the relay's name for itself, when it has one). A hub
 * answers with the seq it gave each event and the pace it asks of the writer (test doubles may not).
 */
export type Publisher = (userId: string, events: PublishEvent[], writer?: string) => Promise<unknown>;

export type PublishOutcome =
	/** `paceMs`: the pace the hub asked for (undefined: it said nothing). */
	| { kind: "delivered"; seqs: number[] | undefined; paceMs: number | undefined }
	/** It failed and retrying now won't help (or every retry failed): worth trying again later. */
	| { kind: "failed" }
	/** The hub will never take them (malformed): `InvalidPublishError`. */
	| { kind: "refused" };

/**
 * One RPC to one user's hub that stores events there and has that hub pass them on to the
 * hubs of `forwardTo`, paced (`UserHub.publishAndForward`).
 */
export type Forwarder = (userId: string, events: PublishEvent[], forwardTo: readonly string[]) => Promise<unknown>;

/** The real publisher: one RPC to the user's hub. A fresh stub per call (a broken stub stays broken). */
export const hubPublisher =
	(env: Env): Publisher =>
	(userId, events, writer) =>
		hubFor(env, userId).publish(events, writer);

/** The real forwarder: one RPC to the user's hub, which passes the events on. */
export const hubForwarder =
	(env: Env): Forwarder =>
	(userId, events, forwardTo) =>
		hubFor(env, userId).publishAndForward(events, [...forwardTo]);

export interface RetryOptions {
	/** Calls in all, the first included. */
	attempts?: number;
	/** The backoff's first ceiling; it doubles with each retry (full jitter: a random wait below it). */
	baseMs?: number;
}

/**
 * The retry policy, after Cloudflare's Durable Object error handling: an error the runtime
 * marks `retryable` (the call may not have reached the hub: a reset, a lost connection) is
 * retried with exponential backoff and full jitter, unless it is also `overloaded` (retrying
 * would add load to a hub that can't keep up). Retrying is safe because every event carries a
 * stable id and the hub stores an id once. Anything else is not retried now: an
 * `InvalidPublishError` never will be (`refused`); the rest (`overloaded`, an error thrown by
 * the hub's own code, which the runtime marks `remote` and never `retryable`) comes back
 * `failed`, and the relay keeps the events queued for its next emit or flush.
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
			return { kind: "delivered", seqs: seqsOf(answer), paceMs: paceOf(answer) };
		} catch (error) {
			const refused = InvalidPublishError.is(error);
			if (refused || !worthRetrying(error) || attempt >= attempts) {
				log.error("publish to hub failed", { userId, events: events.length, attempt, refused, error });
				return { kind: refused ? "refused" : "failed" };
			}
			await sleep(backoff(attempt, baseMs));
		}
	}
}

/** The platform's word on a failed call: retry when `retryable` and not `overloaded`. */
export function worthRetrying(error: unknown): boolean {
	const flags = error as { retryable?: unknown; overloaded?: unknown } | null | undefined;
	return flags?.retryable === true && flags.overloaded !== true;
}

/** The wait before retry `attempt` (1: the first retry): full jitter under an exponential ceiling. */
export function backoff(attempt: number, baseMs: number, random = Math.random): number {
	return Math.floor(random() * baseMs * 2 ** (attempt - 1));
}

/** The seqs in a hub's answer (`{ seqs }`), if it gave them. */
function seqsOf(answer: unknown): number[] | undefined {
	const seqs = (answer as { seqs?: unknown } | null | undefined)?.seqs;
	return Array.isArray(seqs) ? seqs : undefined;
}

/** The pace in a hub's answer (`{ pace_ms }`), if it gave one. */
function paceOf(answer: unknown): number | undefined {
	const pace = (answer as { pace_ms?: unknown } | null | undefined)?.pace_ms;
	return typeof pace === "number" && Number.isFinite(pace) && pace >= 0 ? pace : undefined;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
