import { z } from "zod";
import { FileSchema } from "./files.ts";

export const ChatLimits = {
	titleChars: 120,
	messageChars: 8_000,
	historyPage: 100,
} as const;

/**
 * What a message sent while a turn of its chat runs does (docs/agent.md, "Steering"):
 * `queue` waits its turn; `interrupt` stops the running turn at its next safe point (what it
 * did is kept) and runs next; `steer` joins the running turn, read by the model at its next
 * step; `reject` is refused (409 `turn_running`). With no turn running, each just runs.
 */
export const SendPolicySchema = z.enum(["queue", "interrupt", "steer", "reject"]);
export type SendPolicy = z.infer<typeof SendPolicySchema>;

export const ChatSchema = z.object({
	id: z.string(),
	user_id: z.string(),
	title: z.string(),
	created_at: z.number().int(),
	updated_at: z.number().int(),
	/** Its messages' policy when they name none (absent from servers before #29: `queue`). */
	policy: SendPolicySchema.optional(),
});
export type Chat = z.infer<typeof ChatSchema>;

/**
 * One entry of a chat's history. `id` is the AG-UI message id (user and assistant
 * messages) or tool call id (tool rows), the same ids the live events carry.
 */
export const ChatMessageSchema = z.object({
	id: z.string(),
	chat_id: z.string(),
	turn_id: z.string().nullable(),
	role: z.enum(["user", "assistant", "tool"]),
	content: z.string(),
	tool_name: z.string().nullable(),
	tool_args: z.string().nullable(),
	/** When its turn began (every row of a turn shares it). */
	created_at: z.number().int(),
	/** Order within the turn: 0 is the user's message. */
	ordinal: z.number().int(),
	/** The files the user's message carried (its turn's last user row has them). */
	attachments: z.array(FileSchema).optional(),
});
export type ChatMessage = z.infer<typeof ChatMessageSchema>;

export const ChatTitleSchema = z.string().trim().min(1).max(ChatLimits.titleChars);
export const ChatTextSchema = z.string().trim().min(1).max(ChatLimits.messageChars);

/** `POST /api/chats` body. */
export const CreateChatBodySchema = z.strictObject({ title: ChatTitleSchema.optional() });
/** `PATCH /api/chats/:id` body. */
/** `PATCH /api/chats/:id`: a new title, a new default policy, or both. */
export const RenameChatBodySchema = z
	.strictObject({ title: ChatTitleSchema.optional(), policy: SendPolicySchema.optional() })
	.refine((b) => b.title !== undefined || b.policy !== undefined, { message: "give a title, a policy, or both" });
/** `GET /api/chats` query: most recently active first; `cursor` (a `next_cursor`) continues. */
export const ListChatsQuerySchema = z.object({
	limit: z.coerce.number().int().min(1).max(200).default(200),
	cursor: z
		.string()
		.regex(/^[A-Za-z0-9_-]{1,200}$/)
		.optional(),
});

/** `GET /api/chats/:id/messages` query: newest page first; `before` continues backwards. */
export const ChatHistoryQuerySchema = z.object({
	limit: z.coerce.number().int().min(1).max(ChatLimits.historyPage).default(50),
	before: z
		.string()
		.regex(/^[A-Za-z0-9_-]{1,200}$/)
		.optional(),
});

/** `value` of a `CUSTOM` `sparky.chat` event: a chat was created, renamed or deleted. */
export const ChatChangeValueSchema = z.object({
	action: z.enum(["created", "renamed", "deleted"]),
	chat: ChatSchema,
});
