import type { AuthContext, Role } from "../protocol/index.ts";
import { newSecret, sha256Hex } from "./secrets.ts";
import { ADMIN_SECRET_TOKEN_ID } from "./types.ts";

/** Tickets live long enough to open a socket, no longer. */
export const TICKET_TTL_MS = 30_000;

/** Issues a single-use ticket that opens one WebSocket as `auth`. Only its hash is stored. */
export async function issueTicket(
	db: D1Database,
	auth: AuthContext,
	now: number,
): Promise<{ ticket: string; expires_at: number }> {
	const ticket = newSecret("tkt", 24);
	const expiresAt = now + TICKET_TTL_MS;
	await db
		.prepare(
			"INSERT INTO ws_tickets (ticket_hash, user_id, token_id, role, token_expires_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
		)
		.bind(await sha256Hex(ticket), auth.userId, auth.tokenId, auth.role, auth.tokenExpiresAt, expiresAt)
		.run();
	return { ticket, expires_at: expiresAt };
}

/**
 * Redeems a ticket: one conditional UPDATE, so two sockets racing with the same ticket
 * can't both win. Fails if the ticket is used, expired, or its token was revoked since.
 */
export async function redeemTicket(db: D1Database, ticket: string, now: number): Promise<AuthContext | null> {
	const row = await db
		.prepare(
			`UPDATE ws_tickets SET used_at = ?
			 WHERE ticket_hash = ? AND used_at IS NULL AND expires_at > ?
			   AND (token_id = ? OR token_id IN (
			     SELECT id FROM api_tokens WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)))
			 RETURNING user_id, token_id, role, token_expires_at`,
		)
		.bind(now, await sha256Hex(ticket), now, ADMIN_SECRET_TOKEN_ID, now)
		.first<{ user_id: string; token_id: string; role: Role; token_expires_at: number | null }>();
	if (!row) return null;
	return { userId: row.user_id, role: row.role, tokenId: row.token_id, tokenExpiresAt: row.token_expires_at };
}

/** Deletes tickets that can no longer be used (run by the cron tick). */
export async function purgeTickets(db: D1Database, now: number): Promise<number> {
	const result = await db.prepare("DELETE FROM ws_tickets WHERE expires_at <= ?").bind(now).run();
	return result.meta.changes ?? 0;
}
