import { z } from "zod";
import { depsFor, hubRates, type RateTaker } from "./deps.ts";
import { handleApprovalFrame, isApprovalFrame } from "./frames/approvals.ts";
import { handleChatFrame, isChatFrame } from "./frames/chat.ts";
import { errorFrame } from "./frames/errors.ts";
import type { SocketState } from "./hub/connections.ts";
import { Hub } from "./hub/hub.ts";
import type { PublishResult } from "./hub/types.ts";
import { type ClientFrame, type ControlMessage, type PublishEvent, UserIdSchema } from "./protocol/index.ts";
import { hubPublisher, type Publisher } from "./relay/publish.ts";
import { AGENT_HUB_PACE_MS, Relay } from "./relay/relay.ts";

/** Whom a hub passes events on to: a few other users' hubs. */
const ForwardToSchema = z.array(UserIdSchema).min(1).max(4);

/**
 * Sparky's hub: the generic store-and-fan-out `Hub`, with the application's frames (chats)
 * plugged in. Events those frames cause for this user go straight into this hub's log (no
 * RPC to itself); events for other hubs (the agent's) leave by RPC. Both through one relay.
 */
export class UserHub extends Hub {
	/** Passes events on to other hubs, each at most one call per AGENT_HUB_PACE_MS. */
	readonly #forwarder = new Relay({ publish: hubPublisher(this.env), paceMs: () => AGENT_HUB_PACE_MS });

	/**
	 * Stores `events` here (as `publish`), then passes them on to the hubs of `forwardTo`,
	 * paced: what every request sends this hub within a quarter second shares one call. A new
	 * task's announcement reaches the agent's hub this way, a few calls a second per creator
	 * rather than one per task.
	 */
	async publishAndForward(events: PublishEvent[], forwardTo: string[]): Promise<PublishResult> {
		const to = ForwardToSchema.safeParse(forwardTo);
		// "invalid publish batch": the relay's mark of a call that retrying can't fix.
		if (!to.success) throw new TypeError("invalid publish batch: forwardTo must be 1-4 user ids");
		const result = await this.publish(events);
		for (const event of events) this.#forwarder.emit(to.data, event);
		return result;
	}

	protected override async onFrame(frame: ClientFrame, state: SocketState): Promise<ControlMessage | undefined> {
		const rpc = hubPublisher(this.env);
		const publish: Publisher = (userId, events) =>
			userId === state.userId ? this.publish(events) : rpc(userId, events);
		// This user's rates are this hub's own buckets: taken directly, never by RPC to itself.
		const remote = hubRates(this.env);
		const rates: RateTaker = (userId, kind) => (userId === state.userId ? this.takeRate(kind) : remote(userId, kind));
		const deps = depsFor(this.env, new Relay({ publish }), rates);
		try {
			if (isChatFrame(frame)) {
				return await handleChatFrame(deps, state, frame, {
					readTaskEvents: async (taskId) => (await this.taskEvents(taskId)).events,
				});
			}
			if (isApprovalFrame(frame)) return await handleApprovalFrame(deps, state, frame);
			return undefined;
		} catch (error) {
			return errorFrame(error, frame, state.userId);
		}
	}
}
