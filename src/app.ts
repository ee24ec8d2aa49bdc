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
import { connectedAppsRoutes } from "./routes/connected-apps.ts";
import { consentRoutes } from "./routes/consent.ts";
import { filesRoutes, sandboxFileContent } from "./routes/files.ts";
import { healthRoutes } from "./routes/health.ts";
import { mcpRoutes } from "./routes/mcp.ts";
import { mcpServersRoutes } from "./routes/mcp-servers.ts";
import { meRoutes } from "./routes/me.ts";
import { memoriesRoutes } from "./routes/memories.ts";
import { oauthRoutes } from "./routes/oauth.ts";
import { oauthClientRoutes } from "./routes/oauth-client.ts";
import { schedulesRoutes } from "./routes/schedules.ts";
import { taskEventsRoutes } from "./routes/task-events.ts";
import { tasksRoutes } from "./routes/tasks.ts";
import { tokensRoutes } from "./routes/tokens.ts";
import { budgetRoutes, usageRoutes } from "./routes/usage.ts";
import { usersRoutes } from "./routes/users.ts";
import { wsRoutes } from "./routes/ws.ts";

/** The HTTP API. Every route but /api/health authenticates; see README for each one. */
export function createApp() {
	const app = new Hono<AppEnv>();
	// Ahead of securityHeaders, so it adds `sandbox` to the CSP that one sets (routes/files.ts).
	app.use("/api/files/:id/content", sandboxFileContent);
	app.use("/api/*", securityHeaders);
	const limitBody = bodyLimit({
		maxSize: LIMITS.httpBodyBytes,
		onError: () => {
			throw tooLarge(`request body over ${LIMITS.httpBodyBytes} bytes`);
		},
	});
	// A memory import, an upload and an AG-UI run (inline images) read their (larger) bodies
	// and cap them themselves (routes/memories.ts, files/upload.ts, routes/ag-ui.ts).
	const streamsItsBody = (method: string, path: string) =>
		path === "/api/memories/import" || (method === "POST" && (path === "/api/files" || path === "/api/ag-ui"));
	app.use("/api/*", (c, next) => (streamsItsBody(c.req.method, c.req.path) ? next() : limitBody(c, next)));
	app.route("/api", healthRoutes);
	app.route("/api", meRoutes);
	app.route("/api", budgetRoutes);
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
	app.route("/api/files", filesRoutes);
	app.route("/api/usage", usageRoutes);
	app.route("/api/oauth/authorize", consentRoutes);
	app.route("/api/connected-apps", connectedAppsRoutes);
	// Sparky as an OAuth client of the servers users connect: its metadata document and the
	// callback (before the authorization server's /oauth/* below, which would take them).
	app.route("/", oauthClientRoutes);
	// Sparky as an MCP server (the transport caps its own request bodies), and OAuth for it:
	// discovery, registration and tokens (the library's; it caps what it reads).
	app.route("/mcp", mcpRoutes);
	app.route("/", oauthRoutes);
	app.onError(onError);
	app.notFound(onNotFound);
	return app;
}
