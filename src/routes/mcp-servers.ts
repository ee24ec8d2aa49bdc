import { Hono } from "hono";
import { z } from "zod";
import { type AppEnv, requireAuth } from "../http/auth.ts";
import { jsonBody, paramsOf } from "../http/validate.ts";
import { createMcpServer, liveTools, ownMcpServer, updateMcpServer } from "../mcp/service.ts";
import { signInAgain } from "../mcp/sign-in.ts";
import { toMcpServer } from "../mcp/view.ts";
import { CreateMcpServerBodySchema, McpServerNameSchema, UpdateMcpServerBodySchema } from "../protocol/mcp.ts";
import { mcpOAuthOfUser } from "../storage/mcp-oauth.ts";
import { mcpServerStatuses } from "../storage/mcp-server-status.ts";
import { deleteMcpServer, disabledMcpServers, listMcpServers } from "../storage/mcp-servers.ts";

const NameParams = z.object({ name: McpServerNameSchema });

/** What the API shows beside a user's rows: switched off, sign-ins, health (three queries). */
async function extrasOf(db: D1Database, userId: string) {
	const [off, oauth, status] = await Promise.all([
		disabledMcpServers(db, userId),
		mcpOAuthOfUser(db, userId),
		mcpServerStatuses(db, userId),
	]);
	return { off, oauth, status };
}

/** Sparky's origin as this request reached it: where the authorization server sends the browser back. */
const originOf = (url: string) => new URL(url).origin;

/** MCP servers, under /api/mcp-servers: a user's own, addressed by name. Header values and tokens never leave. */
export const mcpServersRoutes = new Hono<AppEnv>()
	.use(requireAuth)
	.get("/", async (c) => {
		const userId = c.var.auth.userId;
		const [rows, extras] = await Promise.all([listMcpServers(c.env.DB, userId), extrasOf(c.env.DB, userId)]);
		return c.json({ mcp_servers: rows.map((row) => toMcpServer(row, extras)) });
	})
	.post("/", jsonBody(CreateMcpServerBodySchema), async (c) => {
		const userId = c.var.auth.userId;
		const created = await createMcpServer(c.env, userId, c.req.valid("json"), { origin: originOf(c.req.url) });
		const mcp_server = toMcpServer(created.row, await extrasOf(c.env.DB, userId));
		return c.json({ mcp_server, ...(created.signIn ? { sign_in: created.signIn } : {}) }, 201);
	})
	.get("/:name", paramsOf(NameParams), async (c) => {
		const row = await ownMcpServer(c.env, c.var.auth.userId, c.req.valid("param").name);
		return c.json({ mcp_server: toMcpServer(row, await extrasOf(c.env.DB, c.var.auth.userId)) });
	})
	// Listing works for a switched-off server too: that is how you check it before switching it on.
	.get("/:name/tools", paramsOf(NameParams), async (c) => {
		const row = await ownMcpServer(c.env, c.var.auth.userId, c.req.valid("param").name);
		const tools = await liveTools(c.env, row);
		return c.json({ mcp_server: toMcpServer(row, await extrasOf(c.env.DB, c.var.auth.userId)), tools });
	})
	// (Re)starts the OAuth sign-in (at the `mcp` rate): an authorization URL to open in the
	// browser, never a token.
	.post("/:name/sign-in", paramsOf(NameParams), async (c) => {
		const userId = c.var.auth.userId;
		const row = await ownMcpServer(c.env, userId, c.req.valid("param").name);
		const sign_in = await signInAgain(c.env, row, { origin: originOf(c.req.url), now: Date.now() });
		return c.json({ mcp_server: toMcpServer(row, await extrasOf(c.env.DB, userId)), sign_in });
	})
	.patch("/:name", paramsOf(NameParams), jsonBody(UpdateMcpServerBodySchema), async (c) => {
		const row = await ownMcpServer(c.env, c.var.auth.userId, c.req.valid("param").name);
		const updated = await updateMcpServer(c.env, row, c.req.valid("json"));
		return c.json({ mcp_server: toMcpServer(updated, await extrasOf(c.env.DB, c.var.auth.userId)) });
	})
	.delete("/:name", paramsOf(NameParams), async (c) => {
		const row = await ownMcpServer(c.env, c.var.auth.userId, c.req.valid("param").name);
		await deleteMcpServer(c.env.DB, row.id);
		return c.body(null, 204);
	});
