import { createMiddleware } from "hono/factory";
import { authenticateToken, bearerToken } from "../auth/authenticate.ts";
import { ADMIN_SECRET_TOKEN_ID } from "../auth/types.ts";
import { forbidden, unauthorized } from "../errors.ts";
import type { AuthContext } from "../protocol/index.ts";
import { touchToken } from "../storage/tokens.ts";

export interface AuthVariables {
	auth: AuthContext;
}
export type AppEnv = { Bindings: Env; Variables: AuthVariables };

/** Requires `Authorization: Bearer <token>`; sets `c.var.auth`. */
export const requireAuth = createMiddleware<AppEnv>(async (c, next) => {
	const token = bearerToken(c.req.header("Authorization"));
	if (!token) throw unauthorized("send Authorization: Bearer <token>");
	const auth = await authenticateToken(c.env, token);
	if (!auth) throw unauthorized("invalid, expired or revoked token");
	c.set("auth", auth);
	if (auth.tokenId !== ADMIN_SECRET_TOKEN_ID) c.executionCtx.waitUntil(touchToken(c.env.DB, auth.tokenId, Date.now()));
	await next();
});

/** Requires an admin credential (after `requireAuth`). */
export const requireAdmin = createMiddleware<AppEnv>(async (c, next) => {
	if (c.var.auth.role !== "admin") throw forbidden("admin role required");
	await next();
});
