import { Hono } from "hono";
import { z } from "zod";
import { authenticateToken, bearerToken } from "../auth/authenticate.ts";
import { issueTicket, redeemTicket } from "../auth/tickets.ts";
import { ADMIN_SECRET_TOKEN_ID } from "../auth/types.ts";
import { invalid, unauthorized } from "../errors.ts";
import { type AppEnv, requireAuth } from "../http/auth.ts";
import { errorResponse } from "../http/errors.ts";
import { rateLimit } from "../http/rate-limit.ts";
import { queryOf } from "../http/validate.ts";
import { CONNECT_INFO_HEADER, type ConnectInfo } from "../hub/connections.ts";
import { hubFor } from "../hub/stub.ts";
import type { AuthContext } from "../protocol/index.ts";
import { AUTH_SUBPROTOCOL_PREFIX, ErrorCode, OpaqueIdSchema, SUBPROTOCOL } from "../protocol/index.ts";
import { isTokenLive } from "../storage/tokens.ts";

const WsQuery = z.object({
	ticket: z.string().min(1).max(200).optional(),
	/** Last seq the client has seen: replay everything after it. */
	since: z.coerce.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional(),
	session_id: OpaqueIdSchema.optional(),
});

export const wsRoutes = new Hono<AppEnv>()
	// A ticket is a D1 row (until the purge): minted at a rate, like the sockets they open.
	.post("/ws-ticket", requireAuth, rateLimit("tickets"), async (c) =>
		c.json(await issueTicket(c.env.DB, c.var.auth, Date.now()), 201),
	)
	.get("/ws", queryOf(WsQuery), async (c) => {
		const query = c.req.valid("query");
		const offered = parseProtocols(c.req.header("Sec-WebSocket-Protocol"));
		// What can't become a socket is refused before the credential is looked at, so a
		// single-use ticket is never spent on a request that was never going to upgrade.
		if (c.req.header("Upgrade")?.toLowerCase() !== "websocket") {
			return errorResponse(426, ErrorCode.upgradeRequired, "expected a WebSocket upgrade (Upgrade: websocket)");
		}
		// Offering protocols means one must be picked from them; the only one we speak is sparky.v1.
		if (offered.length > 0 && !offered.includes(SUBPROTOCOL)) {
			throw invalid(
				`offer the ${SUBPROTOCOL} sub-protocol (beside ${AUTH_SUBPROTOCOL_PREFIX}<token>, if you send one)`,
			);
		}
		// Then the credential: a bad one is a 401 JSON, never an upgrade.
		const auth = await authenticateSocket(c.env, query.ticket, offered, c.req.header("Authorization"));
		const info: ConnectInfo = {
			userId: auth.userId,
			tokenId: auth.tokenId,
			role: auth.role,
			tokenExpiresAt: auth.tokenExpiresAt,
			offeredProtocols: offered.length > 0,
		};
		const target = new URL("https://hub.internal/connect");
		if (query.since !== undefined) target.searchParams.set("since", String(query.since));
		if (query.session_id) target.searchParams.set("session_id", query.session_id);
		// A fresh request: nothing the client sent (headers included) reaches the hub unchecked.
		const hub = hubFor(c.env, auth.userId);
		const response = await hub.fetch(
			new Request(target, { headers: { Upgrade: "websocket", [CONNECT_INFO_HEADER]: JSON.stringify(info) } }),
		);
		// A revocation between the lookup above and the hub's accept found no socket to close:
		// look once more now that the socket is on the hub (a revocation after this closes it).
		if (response.status === 101 && auth.tokenId !== ADMIN_SECRET_TOKEN_ID) {
			c.executionCtx.waitUntil(
				isTokenLive(c.env.DB, auth.tokenId, Date.now()).then((live) =>
					live ? undefined : hub.closeToken(auth.tokenId, "token revoked"),
				),
			);
		}
		return response;
	});

/** One credential per socket: a ticket, a `sparky.auth.<token>` sub-protocol, or a bearer header. */
async function authenticateSocket(
	env: Env,
	ticket: string | undefined,
	offered: string[],
	authorization: string | undefined,
): Promise<AuthContext> {
	if (ticket !== undefined) {
		const auth = await redeemTicket(env.DB, ticket, Date.now());
		if (!auth) throw unauthorized("invalid, expired or already used ticket");
		return auth;
	}
	const token =
		offered.find((p) => p.startsWith(AUTH_SUBPROTOCOL_PREFIX))?.slice(AUTH_SUBPROTOCOL_PREFIX.length) ??
		bearerToken(authorization);
	if (!token) throw unauthorized("send a ticket (?ticket=), a sparky.auth.<token> sub-protocol or a bearer token");
	const auth = await authenticateToken(env, token);
	if (!auth) throw unauthorized("invalid, expired or revoked token");
	return auth;
}

function parseProtocols(header: string | undefined): string[] {
	return (header ?? "")
		.split(",")
		.map((p) => p.trim())
		.filter(Boolean);
}
