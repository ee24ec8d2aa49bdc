import type { UserHubApi } from "../hub/stub.ts";
import { AGENT_HUB_PACE_MS } from "./pacing.ts";
import { hubForwarder, hubPublisher, type Publisher } from "./publish.ts";
import { Relay } from "./relay.ts";

export interface HubRelayOptions {
	/** Hubs paced to one call per AGENT_HUB_PACE_MS (the runner's relay: the agent's; a hub's forwarder: all). */
	paced?: (userId: string) => boolean;
	/** The first event of a quiet spell waits the pace too (a hub's forwarder; see pacing.ts). */
	gather?: boolean;
	/**
	 * The hub this relay runs inside, if any (a frame from its own socket): what goes to its own
	 * user is stored (and passed on) by a direct call, never by RPC to itself.
	 */
	local?: { userId: string; hub: Pick<UserHubApi, "publish" | "publishAndForward"> };
	/** The publish RPC (tests count or break it). */
	publish?: Publisher;
}

/**
 * The one way a relay is made: every relay publishes to hubs by RPC and forwards through the
 * first hub of a `send`'s audience (forwarding.ts), whoever made it (a request, a socket's
 * frame, the runner, a hub passing events on); only its pace and its own hub differ.
 */
export function hubRelay(env: Env, { paced, gather, local, publish = hubPublisher(env) }: HubRelayOptions = {}): Relay {
	const forward = hubForwarder(env);
	return new Relay({
		publish: local
			? (userId, events, writer) =>
					userId === local.userId ? local.hub.publish(events, writer) : publish(userId, events, writer)
			: publish,
		forward: local
			? (userId, events, to) =>
					userId === local.userId ? local.hub.publishAndForward(events, [...to]) : forward(userId, events, to)
			: forward,
		...(paced ? { paceMs: (userId: string) => (paced(userId) ? AGENT_HUB_PACE_MS : 0) } : {}),
		gather,
	});
}
