import { pastRuns } from "../chats/past-runs.ts";
import {
	cancelRunningTurn,
	chatHistory,
	createChat,
	ownedChat,
	sendMessage,
	turnsInProgress,
} from "../chats/service.ts";
import { type Deps, spendRate } from "../deps.ts";
import type { SocketState } from "../hub/connections.ts";
import type { ClientFrame, ControlMessage, WireEvent } from "../protocol/index.ts";

export type ChatFrame = Extract<ClientFrame, { type: `chat.${string}` }>;

export function isChatFrame(frame: ClientFrame): frame is ChatFrame {
	return frame.type.startsWith("chat.");
}

/** What a chat frame needs from the hub it arrived at. */
export interface ChatFrameHub {
	readTaskEvents(taskId: string): Promise<WireEvent[]>;
}

/**
 * A chat frame from a socket, answered with one message for that socket (`ack` or
 * `chat.history`); what changes for everyone (messages, turns, chats) leaves as events
 * through `deps.relay`. Errors are thrown (the caller turns them into an `error` frame).
 */
export async function handleChatFrame(
	deps: Deps,
	state: SocketState,
	frame: ChatFrame,
	hub: ChatFrameHub,
): Promise<ControlMessage> {
	const viewer = { userId: state.userId, role: state.role };
	const ref = frame.id ? { ref: frame.id } : {};
	const ack = (result: Record<string, unknown>): ControlMessage => ({ type: "ack", frame: frame.type, ...ref, result });
	switch (frame.type) {
		case "chat.create":
			return ack({ chat: await createChat(deps, state.userId, frame.title) });
		case "chat.send": {
			const chat = await ownedChat(deps.env, frame.chat_id, viewer);
			await spendRate(deps, state.userId, "chat");
			return ack(
				await sendMessage(deps, chat, frame.text, {
					approve: frame.approve,
					attachments: frame.attachments,
					maxCostUsd: frame.max_cost_usd,
					policy: frame.policy,
				}),
			);
		}
		case "chat.cancel": {
			const chat = await ownedChat(deps.env, frame.chat_id, viewer);
			const turn = await cancelRunningTurn(deps, chat);
			return ack({ cancelled_turn_id: turn?.id ?? null });
		}
		case "chat.history": {
			const chat = await ownedChat(deps.env, frame.chat_id, viewer);
			// A page of history reads each of its turns' events from the hub's log: at a rate.
			await spendRate(deps, state.userId, "history");
			const page = await chatHistory(deps.env, chat, frame.limit ?? 50, frame.before);
			const progress = await turnsInProgress(deps.env, chat, hub.readTaskEvents);
			const running = progress.turns.find((t) => t.status === "running")?.turn_id;
			const past = await pastRuns(page.messages, running, hub.readTaskEvents);
			return { type: "chat.history", ...ref, chat, ...page, ...progress, events: [...past, ...progress.events] };
		}
	}
}
