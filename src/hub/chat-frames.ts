import {
	cancelRunningTurn,
	chatHistory,
	createChat,
	ownedChat,
	sendMessage,
	turnsInProgress,
} from "../chats/service.ts";
import { ApiError, rateLimited } from "../http/errors.ts";
import { log } from "../log.ts";
import { type ClientFrame, ErrorCode, type WireEvent } from "../protocol/index.ts";
import { type SocketState, sendControl } from "./connections.ts";
import type { RateKind } from "./rate-limit.ts";

export type ChatFrame = Extract<ClientFrame, { type: `chat.${string}` }>;

export function isChatFrame(frame: ClientFrame): frame is ChatFrame {
	return frame.type.startsWith("chat.");
}

/**
 * Chat frames from a socket. Each gets one answer on that socket (`ack`, `chat.history` or
 * `error`); what changes for everyone (messages, turns, chats) arrives as sequenced events.
 */
export async function handleChatFrame(
	env: Env,
	ws: WebSocket,
	state: SocketState,
	frame: ChatFrame,
	hub: {
		readTaskEvents: (taskId: string) => WireEvent[];
		takeRate: (kind: RateKind) => { ok: true } | { ok: false; retryAfterMs: number };
	},
): Promise<void> {
	const viewer = { userId: state.userId, role: state.role };
	const ref = frame.id ? { ref: frame.id } : {};
	const ack = (result: Record<string, unknown>) => sendControl(ws, { type: "ack", frame: frame.type, ...ref, result });
	try {
		switch (frame.type) {
			case "chat.create": {
				const chat = await createChat(env, state.userId, frame.title);
				ack({ chat });
				return;
			}
			case "chat.send": {
				const chat = await ownedChat(env, frame.chat_id, viewer);
				const rate = hub.takeRate("chat");
				if (!rate.ok) throw rateLimited("chat messages", rate.retryAfterMs);
				ack(await sendMessage(env, chat, frame.text));
				return;
			}
			case "chat.cancel": {
				const chat = await ownedChat(env, frame.chat_id, viewer);
				const turn = await cancelRunningTurn(env, chat);
				ack({ cancelled_turn_id: turn?.id ?? null });
				return;
			}
			case "chat.history": {
				const chat = await ownedChat(env, frame.chat_id, viewer);
				const page = await chatHistory(env, chat, frame.limit ?? 50, frame.before);
				const progress = await turnsInProgress(env, chat, hub.readTaskEvents);
				sendControl(ws, { type: "chat.history", ...ref, chat, ...page, ...progress });
				return;
			}
		}
	} catch (error) {
		if (error instanceof ApiError) {
			const details = error.details === undefined ? {} : { details: error.details };
			sendControl(ws, { type: "error", code: error.code, message: error.message, ...details, ...ref });
			return;
		}
		log.error("chat frame failed", { frame: frame.type, userId: state.userId, error });
		sendControl(ws, {
			type: "error",
			code: ErrorCode.internal,
			message: "could not handle the frame; try again",
			...ref,
		});
	}
}
