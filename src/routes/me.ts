import { Hono } from "hono";
import { type AppEnv, requireAuth } from "../http/auth.ts";

export const meRoutes = new Hono<AppEnv>().get("/me", requireAuth, (c) => {
	const { userId, role, tokenId, tokenExpiresAt } = c.var.auth;
	return c.json({ user_id: userId, role, token_id: tokenId, token_expires_at: tokenExpiresAt });
});
