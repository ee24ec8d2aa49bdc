import { Hono } from "hono";
import { z } from "zod";
import { type AppEnv, requireAdmin, requireAuth } from "../auth/middleware.ts";
import { notFound } from "../http/errors.ts";
import { paramsOf } from "../http/validate.ts";
import { hubFor } from "../hub/stub.ts";
import { log } from "../log.ts";
import { OpaqueIdSchema } from "../protocol/index.ts";
import { revokeToken } from "../storage/tokens.ts";

/** Admin, under /api/tokens: revoke a token. Its open sockets are closed with 4001. */
export const tokensRoutes = new Hono<AppEnv>()
	.use(requireAuth, requireAdmin)
	.delete("/:tokenId", paramsOf(z.object({ tokenId: OpaqueIdSchema })), async (c) => {
		const { tokenId } = c.req.valid("param");
		const token = await revokeToken(c.env.DB, tokenId, Date.now());
		if (!token) throw notFound(`token ${tokenId}`);
		const closed = await hubFor(c.env, token.user_id).closeToken(token.id);
		log.info("token revoked", { tokenId: token.id, userId: token.user_id, socketsClosed: closed });
		return c.json({ token, sockets_closed: closed });
	});
