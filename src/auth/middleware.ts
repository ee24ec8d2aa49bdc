import { createMiddleware } from "hono/factory";
import { ApiError } from "../http/errors.ts";
import { ErrorCode } from "../protocol/index.ts";
import { touchToken } from "../storage/tokens.ts";
import { authenticateToken, bearerToken } from "./authenticate.ts";
import { ADMIN_SECRET_TOKEN_ID, type AuthContext } from "./types.ts";

export interface AuthVariables {
	auth: AuthContext;
}
export type AppEnv = { Bindings: Env; Variables: AuthVariables };

const UNAUTHORIZED_HEADERS = { "WWW-Authenticate": 'Bearer realm="sparky"' };

export function unauthorized(message = "missing or invalid credentials"): ApiError {
	return new ApiError(401, ErrorCode.unauthorized, message, undefined, UNAUTHORIZED_HEADERS);
}

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
	if (c.var.auth.role !== "admin") throw new ApiError(403, ErrorCode.forbidden, "admin role required");
	await next();
});
