import { Hono } from "hono";
import { bearerToken } from "../auth/authenticate.ts";
import { ADMIN_SECRET_TOKEN_ID } from "../auth/types.ts";
import type { AppEnv } from "../http/auth.ts";
import { errorResponse } from "../http/errors.ts";
import { handleMcpRequest } from "../mcp/server.ts";
import { bearerChallenge, mcpCaller } from "../oauth/resource.ts";
import { oauthOrigin } from "../oauth/server.ts";
import { ErrorCode } from "../protocol/index.ts";
import { touchToken } from "../storage/tokens.ts";

/**
 * `/mcp`: Sparky as an MCP server (Streamable HTTP, stateless) for the bearer token's user: a
 * Sparky API token, or an OAuth access token issued for this `/mcp` (oauth/resource.ts). A
 * request without one gets 401 with the challenge that leads a host to OAuth (RFC 9728).
 */
export const mcpRoutes = new Hono<AppEnv>().all("/", async (c) => {
	const origin = oauthOrigin(c.env, c.req.url);
	const token = bearerToken(c.req.header("Authorization"));
	const caller = token ? await mcpCaller(c.env, token, origin) : null;
	if (!caller) {
		return errorResponse(
			401,
			ErrorCode.unauthorized,
			token ? "invalid, expired or revoked token" : "send Authorization: Bearer <token>",
			undefined,
			{ "WWW-Authenticate": bearerChallenge(origin, token !== undefined) },
		);
	}
	if (caller.via === "api_token" && caller.auth.tokenId !== ADMIN_SECRET_TOKEN_ID)
		c.executionCtx.waitUntil(touchToken(c.env.DB, caller.auth.tokenId, Date.now()));
	return handleMcpRequest(c.req.raw, c.env, caller);
});
