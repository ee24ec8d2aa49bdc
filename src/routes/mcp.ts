import { Hono } from "hono";
import { type AppEnv, requireAuth } from "../http/auth.ts";
import { handleMcpRequest } from "../mcp/server.ts";

/** `/mcp`: Sparky as an MCP server (Streamable HTTP, stateless), for the bearer token's user. */
export const mcpRoutes = new Hono<AppEnv>()
	.use(requireAuth)
	.all("/", (c) => handleMcpRequest(c.req.raw, c.env, c.var.auth));
