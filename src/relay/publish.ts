import { hubFor } from "../hub/stub.ts";
import { log } from "../log.ts";
import type { PublishEvent } from "../protocol/index.ts";

export type Publisher = (userId: string, events: PublishEvent[]) => Promise<unknown>;

/** The real publisher: one RPC to the user's hub. A fresh stub per call (a broken stub stays broken). */
export const hubPublisher =
	(env: Env): Publisher =>
	(userId, events) =>
		hubFor(env, userId).publish(events);

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
): Promise<"delivered" | "failed" | "refused"> {
	for (let attempt = 1; ; attempt++) {
		try {
			await publish(userId, events);
			return "delivered";
		} catch (error) {
			const permanent = isPermanentPublishError(error);
			if (permanent || attempt >= attempts) {
				log.error("publish to hub failed", { userId, events: events.length, attempt, permanent, error });
				return permanent ? "refused" : "failed";
			}
			await sleep(baseMs * 2 ** (attempt - 1));
		}
	}
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
