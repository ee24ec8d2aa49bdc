import { Hono } from "hono";
import { type AppEnv, requireAuth } from "../http/auth.ts";
import { pendingApprovalsFor } from "../tasks/approvals.ts";

/**
 * `GET /api/approvals`: the caller's tool calls waiting for a decision, across tasks and chats,
 * oldest first, each saying whether the caller may decide it (`can_decide`).
 */
export const approvalsRoutes = new Hono<AppEnv>()
	.use(requireAuth)
	.get("/", async (c) => c.json({ approvals: await pendingApprovalsFor(c.env.DB, c.var.auth) }));
