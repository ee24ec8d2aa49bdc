import { z } from "zod";
import {
	ChatLimits,
	ChatMessageSchema,
	ChatSchema,
	ChatTextSchema,
	ChatTitleSchema,
	SendPolicySchema,
} from "./chats.ts";
import { HubEventSchema, WireEventSchema } from "./events.ts";
import { AttachmentIdsSchema } from "./files.ts";
import { OpaqueIdSchema } from "./ids.ts";
import { ApproveToolsSchema } from "./tasks.ts";
import { MaxCostSchema } from "./usage.ts";

// ---- client → server -------------------------------------------------------------------

/** Optional correlation id a client may put on any frame; replies echo it as `ref`. */
const frameId = z.string().min(1).max(64).optional();

/** Every frame a client may send. Unknown types and unknown fields are refused. */
export const ClientFrameSchema = z.discriminatedUnion("type", [
	/** Liveness check. The exact text `{"type":"ping"}` is answered without waking the hub. */
	z.strictObject({ type: z.literal("ping"), id: frameId }),
	/** Send me every event after `since`, then keep going live (same as `?since=` on connect). */
	z.strictObject({ type: z.literal("resume"), id: frameId, since: z.number().int().nonnegative() }),
	/** Start a chat. Answered with `ack` ({ chat }); every tab gets a `sparky.chat` event. */
	z.strictObject({ type: z.literal("chat.create"), id: frameId, title: ChatTitleSchema.optional() }),
	/**
	 * Say something in a chat. The message runs an agent turn; while a turn is running, new
	 * messages wait their turn (in order). Answered with `ack` ({ message_id, turn_id }).
	 */
	z.strictObject({
		type: z.literal("chat.send"),
		id: frameId,
		chat_id: OpaqueIdSchema,
		text: ChatTextSchema,
		/** Tools this turn must ask about before running them (beside the server's list). */
		approve: ApproveToolsSchema.optional(),
		/** Uploaded files (`POST /api/files`) the message carries: up to 10. */
		attachments: AttachmentIdsSchema.optional(),
		/** The turn's budget in US dollars (see `max_cost_usd` on a task). */
		max_cost_usd: MaxCostSchema.optional(),
		/** What it does while a turn runs (`SendPolicy`); default: the chat's policy. */
		policy: SendPolicySchema.optional(),
	}),
	/** Stop the chat's running turn (its model call is aborted). Answered with `ack`. */
	z.strictObject({ type: z.literal("chat.cancel"), id: frameId, chat_id: OpaqueIdSchema }),
	/** A page of the chat's history (newest page first), plus what the running turn did so far. */
	z.strictObject({
		type: z.literal("chat.history"),
		id: frameId,
		chat_id: OpaqueIdSchema,
		before: z
			.string()
			.regex(/^[A-Za-z0-9_-]{1,200}$/)
			.optional(),
		limit: z.number().int().min(1).max(ChatLimits.historyPage).optional(),
	}),
	/** Approve or deny a tool call a run is waiting on. Answered with `ack` ({ approval }). */
	z.strictObject({
		type: z.literal("approval.decide"),
		id: frameId,
		task_id: OpaqueIdSchema,
		approval_id: OpaqueIdSchema,
		approved: z.boolean(),
		reason: z.string().trim().min(1).max(500).optional(),
	}),
]);
export type ClientFrame = z.infer<typeof ClientFrameSchema>;

/** The ping the runtime answers by itself (`setWebSocketAutoResponse`). */
export const AUTO_PING = '{"type":"ping"}';
export const AUTO_PONG = '[{"type":"pong"}]';

// ---- server → client -------------------------------------------------------------------
// Every server frame is a JSON array. Its items are either sequenced events (they have a
// `seq`) or per-connection control messages (lower-case `type`, no `seq`).

export const SessionMessageSchema = z.object({
	type: z.literal("session"),
	session_id: z.string(),
	user_id: z.string(),
	/** True when the `session_id` the client sent was still valid and is kept. */
	resumed: z.boolean(),
	/** Highest seq stored for this user when the socket opened. */
	last_seq: z.number().int().nonnegative(),
	/** Oldest seq still held; older events were dropped by retention. */
	oldest_seq: z.number().int().nonnegative(),
	expires_at: z.number().int(),
});

export const ReplayTruncatedSchema = z.object({
	type: z.literal("replay.truncated"),
	/** The cursor the client asked for. */
	since: z.number().int().nonnegative(),
	/** The first seq that will be replayed; events in (since, oldest_seq) are gone. */
	oldest_seq: z.number().int().nonnegative(),
	last_seq: z.number().int().nonnegative(),
	/**
	 * `retention`: the events aged out. `cursor_ahead`: the cursor is newer than anything stored.
	 * `replay_limit`: the hub still has them, but more than one replay sends (SPARKY_REPLAY_MAX_EVENTS,
	 * or 16 MiB of events).
	 */
	reason: z.enum(["retention", "cursor_ahead", "replay_limit"]),
});

export const ReplayDoneSchema = z.object({
	type: z.literal("replay.done"),
	since: z.number().int().nonnegative(),
	/** How many events the replay sent; live events follow. */
	count: z.number().int().nonnegative(),
	last_seq: z.number().int().nonnegative(),
});

export const ErrorMessageSchema = z.object({
	type: z.literal("error"),
	code: z.string(),
	message: z.string(),
	details: z.unknown().optional(),
	/** The `id` of the client frame this answers, when it had one. */
	ref: z.string().optional(),
});

export const PongSchema = z.object({
	type: z.literal("pong"),
	ref: z.string().optional(),
	ts: z.number().int().optional(),
});

/** A client frame was done; `result` depends on the frame. */
export const AckSchema = z.object({
	type: z.literal("ack"),
	ref: z.string().optional(),
	frame: z.string(),
	result: z.record(z.string(), z.unknown()),
});

/** Answer to `chat.history`. */
export const ChatHistoryMessageSchema = z.object({
	type: z.literal("chat.history"),
	ref: z.string().optional(),
	chat: ChatSchema,
	/** Oldest first. */
	messages: z.array(ChatMessageSchema),
	/** Pass as `before` for the previous page; null at the start of the chat. */
	next_before: z.string().nullable(),
	/** Turns that haven't finished: running first, then pending in the order they will run. */
	turns: z.array(z.object({ turn_id: z.string(), status: z.string(), text: z.string() })),
	/**
	 * The running turn's events so far (they carry seqs; live ones follow on the socket), and
	 * the page's finished turns' run lines and thoughts (chats/past-runs.ts).
	 */
	events: z.array(WireEventSchema),
});

export const ControlMessageSchema = z.discriminatedUnion("type", [
	SessionMessageSchema,
	ReplayTruncatedSchema,
	ReplayDoneSchema,
	ErrorMessageSchema,
	PongSchema,
	AckSchema,
	ChatHistoryMessageSchema,
]);
export type ControlMessage = z.infer<typeof ControlMessageSchema>;

/** One item of a server frame. */
export const ServerItemSchema = z.union([ControlMessageSchema, HubEventSchema]);
export type ServerItem = z.infer<typeof ServerItemSchema>;

/** WebSocket sub-protocol every client offers; the server always answers with it. */
export const SUBPROTOCOL = "sparky.v1";
/** A second offered sub-protocol `sparky.auth.<token>` carries the token (browsers cannot set headers). */
export const AUTH_SUBPROTOCOL_PREFIX = "sparky.auth.";
