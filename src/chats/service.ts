import { capsConfig } from "../config.ts";
import { type Deps, spendRate } from "../deps.ts";
import { conflict, notFound, SparkyError } from "../errors.ts";
import {
	base64url,
	type Chat,
	type ChatMessage,
	type ClientTool,
	CustomName,
	ErrorCode,
	EventType,
	newId,
	type PublishEvent,
	type SendPolicy,
	sparkyEvent,
	type WireEvent,
} from "../protocol/index.ts";
import { filesOfTasks } from "../storage/attachments.ts";
import {
	countChats,
	deleteChat as deleteChatRow,
	getChat,
	type HistoryCursor,
	historyPage,
	insertChat,
	putMessages,
	updateChat,
} from "../storage/chats.ts";
import { toFile } from "../storage/files.ts";
import { decodeCursor, encodeCursor } from "../storage/page-cursor.ts";
import { insertSteer } from "../storage/steers.ts";
import { openTurns, type TaskRow } from "../storage/tasks.ts";
import { canUseChat, type Viewer } from "../tasks/audience.ts";
import { cancelTask, createTask } from "../tasks/service.ts";

export const DEFAULT_CHAT_TITLE = "New chat";

/**
 * A chat the viewer may use (read, post into, rename, delete): their own only (tasks/audience.ts).
 * `chatId` is the chat's id, or the name of one of the viewer's AG-UI threads (`threadChatId`).
 */
export async function ownedChat(env: Env, chatId: string, viewer: Viewer): Promise<Chat> {
	const chat = await getChat(env.DB, chatId);
	if (chat && canUseChat(chat, viewer)) return chat;
	const thread = await getChat(env.DB, await threadChatId(viewer.userId, chatId));
	if (thread && canUseChat(thread, viewer)) return thread;
	throw notFound(`chat ${chatId}`);
}

/**
 * The id of the chat behind a user's AG-UI thread. A thread id is a name the client picks,
 * so it is the user's own: two users' `trip-1` are two chats. The chat's id is derived from
 * both (and so are its message rows' ids, `<chat id>:<message id>`): no client-chosen thread
 * or message id can name a row of another user's chat, or of a turn or task (`turn_…`, `task_…`).
 */
export async function threadChatId(userId: string, threadId: string): Promise<string> {
	const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(JSON.stringify([userId, threadId])));
	return `thr_${base64url(new Uint8Array(digest).slice(0, 18))}`;
}

/** A chat a task may be posted into: the creator's own, whoever they are (the agent user included). */
export const chatForTask = ownedChat;

/**
 * What every new chat passes, however it is made (HTTP, `chat.create`, an AG-UI thread):
 * the `chats` rate (429) and SPARKY_MAX_CHATS (409).
 */
export async function spendChatQuota(deps: Deps, userId: string): Promise<void> {
	// The cap first: a 409 spends no rate.
	const cap = capsConfig(deps.env).chats;
	if ((await countChats(deps.env.DB, userId)) >= cap) {
		throw conflict(`you have ${cap} chats, the most one user may have; delete one first`, {
			limit: cap,
			cap: "SPARKY_MAX_CHATS",
		});
	}
	await spendRate(deps, userId, "chats");
}

/** Creates a chat (HTTP and the `chat.create` frame alike): the `chats` rate (429) and SPARKY_MAX_CHATS (409) apply. */
export async function createChat(
	deps: Deps,
	userId: string,
	title: string | undefined,
	now = Date.now(),
): Promise<Chat> {
	await spendChatQuota(deps, userId);
	const chat: Chat = {
		id: newId("chat", 12),
		user_id: userId,
		title: title ?? DEFAULT_CHAT_TITLE,
		created_at: now,
		updated_at: now,
		policy: "queue",
	};
	await insertChat(deps.env.DB, chat);
	await announceChat(deps, chat, "created", now);
	return chat;
}

export async function renameChat(deps: Deps, chat: Chat, title: string, now = Date.now()): Promise<Chat> {
	return changeChat(deps, chat, { title }, now);
}

/** A new title, a new default policy for its messages, or both (`PATCH /api/chats/:id`). */
export async function changeChat(
	deps: Deps,
	chat: Chat,
	fields: { title?: string; policy?: SendPolicy },
	now = Date.now(),
): Promise<Chat> {
	const changed = (await updateChat(deps.env.DB, chat.id, fields, now)) ?? chat;
	await announceChat(deps, changed, "renamed", now);
	return changed;
}

/** Deletes a chat and its history; its unfinished turns are cancelled first. */
export async function deleteChat(deps: Deps, chat: Chat, now = Date.now()): Promise<void> {
	// Last queued first, the running one last: a turn's end sends the chat's next queued turn
	// (afterTaskEnded), and by then there is none left to start.
	for (const turn of (await openTurns(deps.env.DB, chat.id)).reverse()) await cancelTask(deps, turn, now);
	await deleteChatRow(deps.env.DB, chat.id);
	await announceChat(deps, chat, "deleted", now);
}

/** Options of `sendMessage`. */
export interface SendOptions {
	approve?: string[];
	/** The turn's budget in US dollars (SPARKY_TASK_BUDGET_USD by default). */
	maxCostUsd?: number;
	/** The W3C traceparent the turn's spans join. */
	traceparent?: string;
	/** What it does while a turn of the chat runs; default: the chat's `policy` (`queue`). */
	policy?: SendPolicy;
	/** Tools the sender (an AG-UI client) runs itself. */
	clientTools?: ClientTool[];
	/**
	 * The message's id(s) as the sender knows them (an AG-UI client's): the history rows and
	 * the live events use them instead of `<turn>:user`. Several parts become one turn.
	 */
	parts?: { id: string; text: string }[];
	/** The turn's id, when the sender claimed the message rows under it already (AG-UI). */
	turnId?: string;
	/** Uploaded files the message carries (the chat owner's own, uploaded in full). */
	attachments?: string[];
}

/**
 * Someone said something in a chat: store the message, and queue a turn that answers it.
 * The turn runs after any turn of this chat that is running or pending (never interleaved).
 */
export async function sendMessage(
	deps: Deps,
	chat: Chat,
	text: string,
	options: SendOptions = {},
	now = Date.now(),
): Promise<{ message_id: string; turn_id: string; status: string }> {
	const policy = options.policy ?? chat.policy ?? "queue";
	if (policy !== "queue") {
		const steered = await applyPolicy(deps, chat, policy, text, options, now);
		if (steered) return steered;
	}
	const partsOf = (turnId: string) => options.parts ?? [{ id: `${turnId}:user`, text }];
	const userMessage = (turnId: string): PublishEvent[] => {
		const base = { task_id: turnId, chat_id: chat.id, ts: now };
		return partsOf(turnId).flatMap((part, i): PublishEvent[] => {
			const messageId = part.id;
			// Event ids must be short and plain; a sender's message id need not be.
			const eventId = options.parts ? `${turnId}:user${i}` : messageId;
			// A message of only files has no words: no content event (AG-UI's delta is never empty).
			const content: PublishEvent[] = part.text
				? [{ ...base, type: EventType.TEXT_MESSAGE_CONTENT, id: `${eventId}:content`, messageId, delta: part.text }]
				: [];
			return [
				{ ...base, type: EventType.TEXT_MESSAGE_START, id: `${eventId}:start`, messageId, role: "user" },
				...content,
				{ ...base, type: EventType.TEXT_MESSAGE_END, id: `${eventId}:end`, messageId },
			];
		});
	};
	const { env } = deps;
	const outcome = await createTask(
		deps,
		{
			id: options.turnId,
			kind: "chat",
			userId: chat.user_id,
			instruction: text,
			chatId: chat.id,
			chatUserId: chat.user_id,
			allowDuplicates: true,
			approve: options.approve,
			clientTools: options.clientTools,
			attachments: options.attachments,
			maxCostUsd: options.maxCostUsd,
			traceparent: options.traceparent,
		},
		now,
		{
			announce: (turn) => userMessage(turn.id),
			beforeEnqueue: async (turn) => {
				await putMessages(
					env.DB,
					partsOf(turn.id).map((part, ordinal) => ({
						id: part.id,
						chat_id: chat.id,
						turn_id: turn.id,
						role: "user",
						content: part.text,
						tool_name: null,
						tool_args: null,
						created_at: now,
						ordinal,
					})),
				);
			},
		},
	);
	if (chat.title === DEFAULT_CHAT_TITLE) await renameChat(deps, chat, titleFrom(text), now);
	else await updateChat(env.DB, chat.id, {}, now);
	const messageId = partsOf(outcome.task.id).at(-1)?.id ?? `${outcome.task.id}:user`;
	return { message_id: messageId, turn_id: outcome.task.id, status: outcome.task.status };
}

/**
 * A message's policy while a turn of its chat runs: `reject` refuses it (409 `turn_running`),
 * `interrupt` stops the running turn (what it did is kept) before the message is queued, and
 * `steer` hands it to the running turn (the answer: `status: "steered"`). Without a running
 * turn, or for what can't be steered (files, an AG-UI run's own turn), it is simply queued.
 */
async function applyPolicy(
	deps: Deps,
	chat: Chat,
	policy: Exclude<SendPolicy, "queue">,
	text: string,
	options: SendOptions,
	now: number,
): Promise<{ message_id: string; turn_id: string; status: string } | undefined> {
	const open = await openTurns(deps.env.DB, chat.id);
	const running = open.find((t) => t.status === "running" || t.status === "awaiting_approval");
	if (policy === "reject") {
		const busy = running ?? open[0];
		if (busy)
			throw new SparkyError(
				"conflict",
				ErrorCode.turnRunning,
				`a turn of this chat is ${busy.status === "queued" ? "waiting to run" : "running"}; send again when it ends, or with another policy`,
				{ turn_id: busy.id },
			);
		return undefined;
	}
	if (!running) return undefined;
	if (policy === "interrupt") {
		await cancelTask(deps, running, now, chat.user_id);
		return undefined;
	}
	if (options.attachments?.length || options.turnId || options.parts) return undefined;
	const id = `${running.id}:steer:${newId("m", 8)}`;
	const stored = await insertSteer(deps.env.DB, { id, task_id: running.id, chat_id: chat.id, text, created_at: now });
	if (!stored) return undefined; // the turn ended meanwhile, or holds the most it may: queued instead
	await updateChat(deps.env.DB, chat.id, {}, now);
	return { message_id: id, turn_id: running.id, status: "steered" };
}

/** Stops the chat's running turn (or the one waiting for approval). Pending turns stay queued. */
export async function cancelRunningTurn(deps: Deps, chat: Chat, now = Date.now()): Promise<TaskRow | null> {
	const running = (await openTurns(deps.env.DB, chat.id)).find(
		(t) => t.status === "running" || t.status === "awaiting_approval",
	);
	if (!running) return null;
	await cancelTask(deps, running, now, chat.user_id);
	return running;
}

export interface HistoryPage {
	messages: ChatMessage[];
	next_before: string | null;
}

export async function chatHistory(env: Env, chat: Chat, limit: number, before?: string): Promise<HistoryPage> {
	const rows = await historyPage(env.DB, chat.id, limit + 1, before ? historyCursor(before) : undefined);
	const more = rows.length > limit;
	const page = more ? rows.slice(1) : rows;
	const first = page[0];
	return {
		messages: await withAttachments(env.DB, page),
		next_before: more && first ? encodeCursor([first.created_at, first.ordinal, first.id]) : null,
	};
}

/** The files each turn's user message carried, on that turn's last user row. */
async function withAttachments(db: D1Database, messages: ChatMessage[]): Promise<ChatMessage[]> {
	const lastUserRow = new Map<string, ChatMessage>();
	for (const m of messages) if (m.role === "user" && m.turn_id) lastUserRow.set(m.turn_id, m);
	const files = await filesOfTasks(db, [...lastUserRow.keys()]);
	if (files.size === 0) return messages;
	return messages.map((m) => {
		const attached = m.turn_id && lastUserRow.get(m.turn_id) === m ? files.get(m.turn_id) : undefined;
		return attached ? { ...m, attachments: attached.map(toFile) } : m;
	});
}

/** Unfinished turns, and the events the running one has produced so far. */
export async function turnsInProgress(
	env: Env,
	chat: Chat,
	readEvents: (turnId: string) => WireEvent[] | Promise<WireEvent[]>,
): Promise<{ turns: { turn_id: string; status: string; text: string }[]; events: WireEvent[] }> {
	const turns = await openTurns(env.DB, chat.id);
	const running = turns.find((t) => t.status === "running");
	const events = running ? await readEvents(running.id) : [];
	return { turns: turns.map((t) => ({ turn_id: t.id, status: t.status, text: t.instruction })), events };
}

/** Tells the chat's owner's tabs that it was created, renamed or deleted. */
export async function announceChat(
	deps: Deps,
	chat: Chat,
	action: "created" | "renamed" | "deleted",
	now: number,
): Promise<void> {
	await deps.relay.send(
		[chat.user_id],
		[
			{
				...sparkyEvent(CustomName.chat, { action, chat }),
				id: `${chat.id}:${action}:${now}`,
				ts: now,
				chat_id: chat.id,
			},
		],
	);
}

function titleFrom(text: string): string {
	const line = text.split("\n")[0]?.trim() ?? DEFAULT_CHAT_TITLE;
	return line.length > 60 ? `${line.slice(0, 57)}…` : line || DEFAULT_CHAT_TITLE;
}

function historyCursor(text: string): HistoryCursor {
	return decodeCursor(
		text,
		([createdAt, ordinal, id]) =>
			Number.isSafeInteger(createdAt) && Number.isSafeInteger(ordinal) && typeof id === "string"
				? { createdAt: createdAt as number, ordinal: ordinal as number, id }
				: undefined,
		"use next_before from the previous page",
	);
}
