import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { tooLarge } from "./errors.ts";
import type { AppEnv } from "./http/auth.ts";
import { onError, onNotFound } from "./http/errors.ts";
import { securityHeaders } from "./http/security-headers.ts";
import { LIMITS } from "./protocol/index.ts";
import { agUiRoutes } from "./routes/ag-ui.ts";
import { agentRoutes } from "./routes/agent.ts";
import { approvalsRoutes } from "./routes/approvals.ts";
import { chatsRoutes } from "./routes/chats.ts";
import { healthRoutes } from "./routes/health.ts";
import { mcpRoutes } from "./routes/mcp.ts";
import { mcpServersRoutes } from "./routes/mcp-servers.ts";
import { meRoutes } from "./routes/me.ts";
import { memoriesRoutes } from "./routes/memories.ts";
import { schedulesRoutes } from "./routes/schedules.ts";
import { taskEventsRoutes } from "./routes/task-events.ts";
import { tasksRoutes } from "./routes/tasks.ts";
import { tokensRoutes } from "./routes/tokens.ts";
import { usersRoutes } from "./routes/users.ts";
import { wsRoutes } from "./routes/ws.ts";

/** The HTTP API. Every route but /api/health authenticates; see README for each one. */
export function createApp() {
	const app = new Hono<AppEnv>();
	app.use("/api/*", securityHeaders);
	const limitBody = bodyLimit({
		maxSize: LIMITS.httpBodyBytes,
		onError: () => {
			throw tooLarge(`request body over ${LIMITS.httpBodyBytes} bytes`);
		},
	});
	// A memory import streams its (larger) body and caps it itself (routes/memories.ts).
	app.use("/api/*", (c, next) => (c.req.path === "/api/memories/import" ? next() : limitBody(c, next)));
	app.route("/api", healthRoutes);
	app.route("/api", meRoutes);
	app.route("/api", wsRoutes);
	app.route("/api/users", usersRoutes);
	app.route("/api/tokens", tokensRoutes);
	app.route("/api/tasks", taskEventsRoutes);
	app.route("/api/tasks", tasksRoutes);
	app.route("/api/agent", agentRoutes);
	app.route("/api/approvals", approvalsRoutes);
	app.route("/api/chats", chatsRoutes);
	app.route("/api/ag-ui", agUiRoutes);
	app.route("/api/schedules", schedulesRoutes);
	app.route("/api/mcp-servers", mcpServersRoutes);
	app.route("/api/memories", memoriesRoutes);
	// Sparky as an MCP server (the transport caps its own request bodies).
	app.route("/mcp", mcpRoutes);
	app.onError(onError);
	app.notFound(onNotFound);
	return app;
}
