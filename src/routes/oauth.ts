import { Hono } from "hono";
import { rateLimited } from "../errors.ts";
import type { AppEnv } from "../http/auth.ts";
import { isResourceMetadataPath, protectedResourceMetadata } from "../oauth/resource.ts";
import { authorizationServer, oauthOrigin, takeRegistrationRate } from "../oauth/server.ts";

/**
 * OAuth for `/mcp` (docs/mcp.md): `/mcp`'s protected resource metadata (RFC 9728) is Sparky's;
 * the authorization server's metadata (RFC 8414), token, revocation and registration endpoints
 * are the library's. The consent screen is the page's `/authorize` (routes/consent.ts).
 */
export const oauthRoutes = new Hono<AppEnv>()
	.get("/.well-known/*", (c, next) => {
		if (!isResourceMetadataPath(c.req.path)) return next();
		const origin = oauthOrigin(c.env, c.req.url);
		if (!authorizationServer(origin)) return c.notFound();
		return c.json(protectedResourceMetadata(origin), 200, {
			"Cache-Control": "public, max-age=300",
			"Access-Control-Allow-Origin": "*",
		});
	})
	.post("/oauth/register", async (c, next) => {
		// Anonymous by design (RFC 7591): its rate is the caller's address's.
		const rate = await takeRegistrationRate(c.env, c.req.raw);
		if (!rate.ok) throw rateLimited("OAuth client registrations", rate.retryAfterMs);
		await next();
	})
	.all("/.well-known/*", (c) => authorizationServerFetch(c.env, c.req.raw, workersCtx(c.executionCtx)))
	.all("/oauth/*", (c) => authorizationServerFetch(c.env, c.req.raw, workersCtx(c.executionCtx)));

/** Hono types the Worker's context by its own, narrower interface; it is the platform's object. */
const workersCtx = (ctx: unknown) => ctx as ExecutionContext;

function authorizationServerFetch(env: Env, request: Request, ctx: ExecutionContext): Promise<Response> | Response {
	const server = authorizationServer(oauthOrigin(env, request.url));
	if (!server) return Response.json({ error: "not_found" }, { status: 404 });
	return server.fetch(request, env, ctx);
}
