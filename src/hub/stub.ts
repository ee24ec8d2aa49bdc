import type { PublishEvent } from "../protocol/index.ts";
import type { Hub } from "./hub.ts";
import type { PublishResult } from "./types.ts";

/** The hub's RPC surface, as callers see it. */
export type UserHubApi = Pick<
	Hub,
	| "publish"
	| "replay"
	| "sessions"
	| "closeToken"
	| "stats"
	| "fetch"
	| "taskEvents"
	| "waitForTask"
	| "takeRate"
	| "openStream"
	| "renewStream"
	| "closeStream"
> & {
	/** The application hub's (src/user-hub.ts): stores events, then passes them on to other hubs, paced. */
	publishAndForward(events: PublishEvent[], forwardTo: string[]): Promise<PublishResult>;
};

/** The raw stub of one user's hub (hubs are addressed by user id: one user, one hub). */
export function hubStub(env: Env, userId: string): DurableObjectStub<Hub> {
	return env.USER_HUB.getByName(userId);
}

/**
 * The same stub, typed by the hub's own method signatures. Workers' generic RPC type
 * mapping gives up ("excessively deep") on event payloads, which are open JSON objects.
 */
export function hubFor(env: Env, userId: string): UserHubApi {
	return hubStub(env, userId) as unknown as UserHubApi;
}
