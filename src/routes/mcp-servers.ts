import { Hono } from "hono";
import { z } from "zod";
import { type AppEnv, requireAuth } from "../http/auth.ts";
import { jsonBody, paramsOf } from "../http/validate.ts";
import { createMcpServer, liveTools, ownMcpServer, toMcpServer, updateMcpServer } from "../mcp/service.ts";
import { CreateMcpServerBodySchema, McpServerNameSchema, UpdateMcpServerBodySchema } from "../protocol/mcp.ts";
import { deleteMcpServer, disabledMcpServers, listMcpServers } from "../storage/mcp-servers.ts";

const NameParams = z.object({ name: McpServerNameSchema });

/** MCP servers, under /api/mcp-servers: a user's own, addressed by name. Header values never leave. */
export const mcpServersRoutes = new Hono<AppEnv>()
	.use(requireAuth)
	.get("/", async (c) => {
		const [rows, off] = await Promise.all([
			listMcpServers(c.env.DB, c.var.auth.userId),
			disabledMcpServers(c.env.DB, c.var.auth.userId),
		]);
		return c.json({ mcp_servers: rows.map((row) => toMcpServer(row, off)) });
	})
	.post("/", jsonBody(CreateMcpServerBodySchema), async (c) => {
		const row = await createMcpServer(c.env, c.var.auth.userId, c.req.valid("json"));
		return c.json({ mcp_server: toMcpServer(row, new Set()) }, 201);
	})
	.get("/:name", paramsOf(NameParams), async (c) => {
		const row = await ownMcpServer(c.env, c.var.auth.userId, c.req.valid("param").name);
		return c.json({ mcp_server: toMcpServer(row, await disabledMcpServers(c.env.DB, c.var.auth.userId)) });
	})
	// Listing works for a switched-off server too: that is how you check it before switching it on.
	.get("/:name/tools", paramsOf(NameParams), async (c) => {
		const row = await ownMcpServer(c.env, c.var.auth.userId, c.req.valid("param").name);
		const off = await disabledMcpServers(c.env.DB, c.var.auth.userId);
		return c.json({ mcp_server: toMcpServer(row, off), tools: await liveTools(c.env, row) });
	})
	.patch("/:name", paramsOf(NameParams), jsonBody(UpdateMcpServerBodySchema), async (c) => {
		const row = await ownMcpServer(c.env, c.var.auth.userId, c.req.valid("param").name);
		const updated = await updateMcpServer(c.env, row, c.req.valid("json"));
		return c.json({ mcp_server: toMcpServer(updated, await disabledMcpServers(c.env.DB, c.var.auth.userId)) });
	})
	.delete("/:name", paramsOf(NameParams), async (c) => {
		const row = await ownMcpServer(c.env, c.var.auth.userId, c.req.valid("param").name);
		await deleteMcpServer(c.env.DB, row.id);
		return c.body(null, 204);
	});
