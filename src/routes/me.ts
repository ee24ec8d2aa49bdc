import { Hono } from "hono";
import { type AppEnv, requireAuth } from "../http/auth.ts";
import { rotateWebhookSecret, webhookSecret } from "../webhooks/secret.ts";

export const meRoutes = new Hono<AppEnv>()
	.get("/me", requireAuth, (c) => {
		const { userId, role, tokenId, tokenExpiresAt } = c.var.auth;
		return c.json({ user_id: userId, role, token_id: tokenId, token_expires_at: tokenExpiresAt });
	})
	// The key webhook deliveries are signed with (docs/webhooks.md): made on the first read.
	.get("/me/webhook-secret", requireAuth, async (c) =>
		c.json({ secret: await webhookSecret(c.env, c.var.auth.userId) }, 200, { "Cache-Control": "no-store" }),
	)
	// A new one in its place: every delivery sent from now on is signed with it.
	.post("/me/webhook-secret", requireAuth, async (c) =>
		c.json({ secret: await rotateWebhookSecret(c.env, c.var.auth.userId) }, 200, { "Cache-Control": "no-store" }),
	);
