import { Hono } from "hono";
import { type AppEnv, requireAuth } from "../http/auth.ts";
import { pendingApprovals } from "../storage/approvals.ts";
import { canChangeTask } from "../tasks/audience.ts";

/**
 * `GET /api/approvals`: the caller's tool calls waiting for a decision, across tasks and chats,
 * oldest first. Each says whether the caller may decide it (`can_decide`): the caller's own
 * tasks' are theirs to decide (approval.user_id is the task's creator).
 */
export const approvalsRoutes = new Hono<AppEnv>().use(requireAuth).get("/", async (c) => {
	const approvals = await pendingApprovals(c.env.DB, c.var.auth.userId);
	const owned = (a: (typeof approvals)[number]) => ({ user_id: a.user_id, chat_user_id: null, kind: "task" as const });
	return c.json({ approvals: approvals.map((a) => ({ ...a, can_decide: canChangeTask(owned(a), c.var.auth) })) });
});
