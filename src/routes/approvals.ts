import { Hono } from "hono";
import { type AppEnv, requireAuth } from "../http/auth.ts";
import { pendingApprovals } from "../storage/approvals.ts";

/** `GET /api/approvals`: the caller's tool calls waiting for a decision, across tasks and chats, oldest first. */
export const approvalsRoutes = new Hono<AppEnv>()
	.use(requireAuth)
	.get("/", async (c) => c.json({ approvals: await pendingApprovals(c.env.DB, c.var.auth.userId) }));
