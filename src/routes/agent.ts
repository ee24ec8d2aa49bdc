import { Hono } from "hono";
import { resolveModel } from "../agent/models.ts";
import { agentConfig } from "../config.ts";
import { type AppEnv, requireAuth } from "../http/auth.ts";
import { agentStatus } from "../storage/agent-status.ts";
import { taskScope } from "../tasks/audience.ts";

/** GET /api/agent/status: counts by status, what runs now, queue age, recent failures, the model. */
export const agentRoutes = new Hono<AppEnv>().get("/status", requireAuth, async (c) => {
	const model = resolveModel(c.env, agentConfig(c.env).model);
	const status = await agentStatus(c.env.DB, taskScope(c.var.auth), Date.now());
	return c.json({
		...status,
		model: model.ok ? model.resolved.label : null,
		...(model.ok ? {} : { model_error: model.error }),
		scope: taskScope(c.var.auth).kind === "own" ? "own" : "all",
	});
});
