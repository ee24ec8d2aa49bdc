import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../../src/auth/secrets.ts";
import { issueTicket, purgeTickets, redeemTicket, TICKET_TTL_MS } from "../../src/auth/tickets.ts";
import { ADMIN_SECRET_TOKEN_ID, ADMIN_USER_ID } from "../../src/auth/types.ts";
import type { AuthContext } from "../../src/protocol/index.ts";
import { revokeToken } from "../../src/storage/tokens.ts";
import { dbToken } from "../support/db.ts";

/** A user with a live API token, as the auth context that token gives. */
async function tokenAuth(expiresAt: number | null = null): Promise<AuthContext> {
	const { userId, id } = await dbToken(expiresAt);
	return { userId, role: "user", tokenId: id, tokenExpiresAt: expiresAt };
}

describe("auth: WebSocket tickets", () => {
	it("issues a ticket that expires TICKET_TTL_MS later, storing only its hash", async () => {
		const auth = await tokenAuth();
		const { ticket, expires_at } = await issueTicket(env.DB, auth, 1_000);
		expect(ticket).toMatch(/^tkt_[A-Za-z0-9_-]{32}$/);
		expect(expires_at).toBe(1_000 + TICKET_TTL_MS);
		const stored = await env.DB.prepare("SELECT * FROM ws_tickets WHERE ticket_hash = ?")
			.bind(await sha256Hex(ticket))
			.first();
		expect(stored).toMatchObject({ user_id: auth.userId, token_id: auth.tokenId, expires_at });
		expect(JSON.stringify(stored)).not.toContain(ticket);
	});

	it("redeems once, as the token it was issued for", async () => {
		const auth = await tokenAuth(9_000_000);
		const { ticket } = await issueTicket(env.DB, auth, 1_000);
		expect(await redeemTicket(env.DB, ticket, 2_000)).toEqual(auth);
		expect(await redeemTicket(env.DB, ticket, 2_001)).toBeNull();
	});

	it("lets only one of two racing redemptions win", async () => {
		const auth = await tokenAuth();
		const { ticket } = await issueTicket(env.DB, auth, 1_000);
		const results = await Promise.all([redeemTicket(env.DB, ticket, 2_000), redeemTicket(env.DB, ticket, 2_000)]);
		expect(results.filter((r) => r !== null)).toHaveLength(1);
	});

	it("refuses an expired ticket (expiry is exclusive) and an unknown one", async () => {
		const auth = await tokenAuth();
		const { ticket, expires_at } = await issueTicket(env.DB, auth, 1_000);
		expect(await redeemTicket(env.DB, ticket, expires_at)).toBeNull();
		const fresh = await issueTicket(env.DB, auth, 1_000);
		expect(await redeemTicket(env.DB, fresh.ticket, fresh.expires_at - 1)).toEqual(auth);
		expect(await redeemTicket(env.DB, "tkt_never_issued", 1_000)).toBeNull();
	});

	it("refuses a ticket whose token was revoked or expired since", async () => {
		const revoked = await tokenAuth();
		const a = await issueTicket(env.DB, revoked, 1_000);
		await revokeToken(env.DB, revoked.tokenId, 1_500);
		expect(await redeemTicket(env.DB, a.ticket, 2_000)).toBeNull();

		const expiring = await tokenAuth(1_800);
		const b = await issueTicket(env.DB, expiring, 1_000);
		expect(await redeemTicket(env.DB, b.ticket, 2_000)).toBeNull();
	});

	it("redeems a ticket of the bootstrap admin secret (no token row)", async () => {
		const admin: AuthContext = {
			userId: ADMIN_USER_ID,
			role: "admin",
			tokenId: ADMIN_SECRET_TOKEN_ID,
			tokenExpiresAt: null,
		};
		const { ticket } = await issueTicket(env.DB, admin, 1_000);
		expect(await redeemTicket(env.DB, ticket, 2_000)).toEqual(admin);
	});

	it("purges tickets that can no longer be used, keeping live ones", async () => {
		const auth = await tokenAuth();
		// Far ahead of every other ticket in this file, so the counts are this test's own.
		const base = 8_000_000_000_000;
		const old = await issueTicket(env.DB, auth, base);
		const live = await issueTicket(env.DB, auth, base + TICKET_TTL_MS);
		const purged = await purgeTickets(env.DB, old.expires_at);
		expect(purged).toBeGreaterThanOrEqual(1);
		expect(await redeemTicket(env.DB, old.ticket, old.expires_at - 1)).toBeNull();
		expect(await redeemTicket(env.DB, live.ticket, live.expires_at - 1)).toEqual(auth);
	});
});
