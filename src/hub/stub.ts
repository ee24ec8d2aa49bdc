import type { PublishEvent, WireEvent } from "../protocol/index.ts";
import type { RateKind } from "./rate-limit.ts";
import type { HubDiagnostics, PublishResult } from "./types.ts";

/**
 * The user hub's RPC surface, as callers see it (`UserHub`, src/user-hub.ts, implements it;
 * the stub's generic RPC type gives up, "excessively deep", on event payloads, which are
 * open JSON objects, so callers get this instead). Everything here has a production caller;
 * `diagnostics` is the one door for counters (the bench, tests).
 */
export interface UserHubApi {
	/** The WebSocket upgrade, after the Worker authenticated the caller (routes/ws.ts). */
	fetch(request: Request): Promise<Response>;
	/**
	 * Numbers, stores and fans out a batch; an id already stored is not stored again. `writer`
	 * names the calling relay: the answer's `pace_ms` is for it. Throws `InvalidPublishError`.
	 */
	publish(events: PublishEvent[], writer?: string): Promise<PublishResult>;
	/** `publish`, then passes the events on to the hubs of `forwardTo`, paced. Throws `InvalidPublishError`. */
	publishAndForward(events: PublishEvent[], forwardTo: string[]): Promise<PublishResult>;
	/** The seq of the last stored event: a cursor to follow what comes after it. */
	lastSeq(): Promise<number>;
	/** One task's stored events after `since`, oldest first. */
	taskEvents(taskId: string, since?: number, limit?: number): Promise<{ events: WireEvent[]; last_seq: number }>;
	/** Long poll: the task's events after `since` as soon as there are any, or none after `timeoutMs`. */
	waitForTask(taskId: string, since: number, timeoutMs?: number): Promise<{ events: WireEvent[] }>;
	/** Takes one unit of this user's rate for `kind`. */
	takeRate(kind: RateKind): Promise<{ ok: true } | { ok: false; retryAfterMs: number }>;
	/** Counts one more open HTTP stream, or says the cap is reached. */
	openStream(): Promise<{ ok: true; lease: string } | { ok: false; open: number; limit: number }>;
	renewStream(lease: string): Promise<boolean>;
	closeStream(lease: string): Promise<void>;
	/** Closes every socket opened with this credential; how many there were. */
	closeToken(tokenId: string, reason?: string): Promise<number>;
	/** Counters: sockets, streams, the log's bounds, and since the object woke, its publishes and billed rows. */
	diagnostics(): Promise<HubDiagnostics>;
}

/** One user's hub (hubs are addressed by user id: one user, one hub), typed by its RPC surface. */
export function hubFor(env: Env, userId: string): UserHubApi {
	return env.USER_HUB.getByName(userId) as unknown as UserHubApi;
}

/** What every refused publish's message starts with (tests and logs read it). */
const INVALID_PUBLISH = "invalid publish batch";

/**
 * A publish the hub will never take (a malformed batch, an event over the size limit, a bad
 * forward list): retrying can't fix it, so the relay drops it and counts it undelivered.
 *
 * Across Durable Object RPC an error keeps its message and its standard prototype (this one
 * arrives as a `TypeError`), with `remote: true` when the hub's own code threw it; its class
 * and own properties (even `name`) are lost. So `is` knows one by its class in the same
 * isolate (a hub publishing to itself) and by that prototype and message across RPC: the
 * message is this class's, written here only.
 */
export class InvalidPublishError extends TypeError {
	constructor(detail: string) {
		super(`${INVALID_PUBLISH}: ${detail}`);
	}

	static is(error: unknown): boolean {
		return (
			error instanceof InvalidPublishError || (error instanceof TypeError && error.message.startsWith(INVALID_PUBLISH))
		);
	}
}
