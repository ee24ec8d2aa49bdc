import { depsFor, hubRates, type RateTaker } from "./deps.ts";
import { handleApprovalFrame, isApprovalFrame } from "./frames/approvals.ts";
import { handleChatFrame, isChatFrame } from "./frames/chat.ts";
import { errorFrame } from "./frames/errors.ts";
import type { SocketState } from "./hub/connections.ts";
import { Hub } from "./hub/hub.ts";
import type { ClientFrame, ControlMessage } from "./protocol/index.ts";
import { hubPublisher, type Publisher } from "./relay/publish.ts";
import { Relay } from "./relay/relay.ts";

/**
 * Sparky's hub: the generic store-and-fan-out `Hub`, with the application's frames (chats)
 * plugged in. Events those frames cause for this user go straight into this hub's log (no
 * RPC to itself); events for other hubs (the agent's) leave by RPC. Both through one relay.
 */
export class UserHub extends Hub {
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
