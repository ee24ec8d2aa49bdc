import { Hono } from "hono";
import { z } from "zod";
import { changeChat, chatHistory, createChat, deleteChat, ownedChat, sendMessage } from "../chats/service.ts";
import { depsFor } from "../deps.ts";
import { type AppEnv, requireAuth } from "../http/auth.ts";
import { rateLimit } from "../http/rate-limit.ts";
import { jsonBody, paramsOf, queryOf } from "../http/validate.ts";
import {
	ApproveToolsSchema,
	AttachmentIdsSchema,
	ChatHistoryQuerySchema,
	ChatTextSchema,
	CreateChatBodySchema,
	ListChatsQuerySchema,
	MaxCostSchema,
	OpaqueIdSchema,
	RenameChatBodySchema,
	SendPolicySchema,
} from "../protocol/index.ts";
import { listSummaries } from "../storage/chat-summaries.ts";
import { listChats } from "../storage/chats.ts";
import { decodeTimeIdCursor, encodeCursor } from "../storage/page-cursor.ts";

const ChatParams = z.object({ id: OpaqueIdSchema });

/** Chats, under /api/chats: a user's own conversations with the agent. */
export const chatsRoutes = new Hono<AppEnv>()
	.use(requireAuth)
	.get("/", queryOf(ListChatsQuerySchema), async (c) => {
		const { limit, cursor } = c.req.valid("query");
		const rows = await listChats(c.env.DB, c.var.auth.userId, limit + 1, cursor ? chatCursor(cursor) : undefined);
		const page = rows.slice(0, limit);
		const last = page.at(-1);
		return c.json({
			chats: page,
			next_cursor: rows.length > limit && last ? encodeCursor([last.updated_at, last.id]) : null,
		});
	})
	.post("/", jsonBody(CreateChatBodySchema), async (c) => {
		const chat = await createChat(depsFor(c.env), c.var.auth.userId, c.req.valid("json").title);
		return c.json({ chat }, 201);
	})
	.get("/:id", paramsOf(ChatParams), async (c) =>
		c.json({ chat: await ownedChat(c.env, c.req.valid("param").id, c.var.auth) }),
	)
	.patch("/:id", paramsOf(ChatParams), jsonBody(RenameChatBodySchema), async (c) => {
		const chat = await ownedChat(c.env, c.req.valid("param").id, c.var.auth);
		return c.json({ chat: await changeChat(depsFor(c.env), chat, c.req.valid("json")) });
	})
	.delete("/:id", paramsOf(ChatParams), async (c) => {
		await deleteChat(depsFor(c.env), await ownedChat(c.env, c.req.valid("param").id, c.var.auth));
		return c.body(null, 204);
	})
	// The summaries of the chat's older turns (compaction), newest first: the page's "earlier conversation summarised".
	.get("/:id/summaries", paramsOf(ChatParams), async (c) => {
		const chat = await ownedChat(c.env, c.req.valid("param").id, c.var.auth);
		return c.json({ summaries: await listSummaries(c.env.DB, chat.id) });
	})
	.get("/:id/messages", paramsOf(ChatParams), queryOf(ChatHistoryQuerySchema), async (c) => {
		const chat = await ownedChat(c.env, c.req.valid("param").id, c.var.auth);
		const query = c.req.valid("query");
		return c.json({ chat_id: chat.id, ...(await chatHistory(c.env, chat, query.limit, query.before)) });
	})
	.post(
		"/:id/messages",
		paramsOf(ChatParams),
		jsonBody(
			z.strictObject({
				text: ChatTextSchema,
				approve: ApproveToolsSchema.optional(),
				attachments: AttachmentIdsSchema.optional(),
				max_cost_usd: MaxCostSchema.optional(),
				policy: SendPolicySchema.optional(),
			}),
		),
		rateLimit("chat"),
		async (c) => {
			const chat = await ownedChat(c.env, c.req.valid("param").id, c.var.auth);
			const { text, approve, attachments, max_cost_usd, policy } = c.req.valid("json");
			return c.json(
				await sendMessage(depsFor(c.env), chat, text, { approve, attachments, maxCostUsd: max_cost_usd, policy }),
				202,
			);
		},
	);

function chatCursor(text: string): { updatedAt: number; id: string } {
	const { at, id } = decodeTimeIdCursor(text);
	return { updatedAt: at, id };
}
