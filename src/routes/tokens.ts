import { Hono } from "hono";
import { z } from "zod";
import { notFound } from "../errors.ts";
import { type AppEnv, requireAuth } from "../http/auth.ts";
import { paramsOf } from "../http/validate.ts";
import { hubFor } from "../hub/stub.ts";
import { log } from "../log.ts";
import { OpaqueIdSchema } from "../protocol/index.ts";
import { getToken, revokeToken } from "../storage/tokens.ts";

/**
 * Under /api/tokens: revoke a token (admins: any; users: their own, e.g. `sparky logout`).
 * Its open sockets are closed with 4001.
 */
export const tokensRoutes = new Hono<AppEnv>()
	.use(requireAuth)
	.delete("/:tokenId", paramsOf(z.object({ tokenId: OpaqueIdSchema })), async (c) => {
		const { tokenId } = c.req.valid("param");
		const existing = await getToken(c.env.DB, tokenId);
		// Someone else's token is "not found": its existence is not yours to learn.
		if (!existing || (existing.user_id !== c.var.auth.userId && c.var.auth.role !== "admin")) {
			throw notFound(`token ${tokenId}`);
		}
		const token = await revokeToken(c.env.DB, tokenId, Date.now());
		if (!token) throw notFound(`token ${tokenId}`);
		const closed = await hubFor(c.env, token.user_id).closeToken(token.id);
		log.info("token revoked", { tokenId: token.id, userId: token.user_id, socketsClosed: closed });
		return c.json({ token, sockets_closed: closed });
	});
