import type { AuthContext, Role } from "../protocol/index.ts";

/** A token as listed: never the secret, never its hash. */
export interface TokenRecord {
	id: string;
	user_id: string;
	name: string | null;
	role: Role;
	created_at: number;
	expires_at: number | null;
	revoked_at: number | null;
	last_used_at: number | null;
}

const PUBLIC_COLUMNS = "id, user_id, name, role, created_at, expires_at, revoked_at, last_used_at";

export async function insertToken(db: D1Database, token: TokenRecord, hash: string): Promise<void> {
	await db
		.prepare(
			"INSERT INTO api_tokens (id, user_id, name, role, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
		)
		.bind(token.id, token.user_id, token.name, token.role, hash, token.created_at, token.expires_at)
		.run();
}

/** The live (unrevoked, unexpired) token with this hash, as an auth context. */
export async function findLiveToken(db: D1Database, hash: string, now: number): Promise<AuthContext | null> {
	const row = await db
		.prepare(
			`SELECT t.id, t.user_id, t.role, t.expires_at FROM api_tokens t JOIN users u ON u.id = t.user_id
			 WHERE t.token_hash = ? AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ?)`,
		)
		.bind(hash, now)
		.first<{ id: string; user_id: string; role: Role; expires_at: number | null }>();
	if (!row) return null;
	return { userId: row.user_id, role: row.role, tokenId: row.id, tokenExpiresAt: row.expires_at };
}

/** Whether the token with this id still opens doors (not revoked, not expired, its user not deleted). */
export async function isTokenLive(db: D1Database, id: string, now: number): Promise<boolean> {
	const row = await db
		.prepare(
			`SELECT 1 AS live FROM api_tokens t JOIN users u ON u.id = t.user_id
			 WHERE t.id = ? AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ?)`,
		)
		.bind(id, now)
		.first<{ live: number }>();
	return row !== null;
}

export async function getToken(db: D1Database, id: string): Promise<TokenRecord | null> {
	return db.prepare(`SELECT ${PUBLIC_COLUMNS} FROM api_tokens WHERE id = ?`).bind(id).first<TokenRecord>();
}

export async function listTokens(db: D1Database, userId: string): Promise<TokenRecord[]> {
	const { results } = await db
		.prepare(`SELECT ${PUBLIC_COLUMNS} FROM api_tokens WHERE user_id = ? ORDER BY created_at DESC, id`)
		.bind(userId)
		.all<TokenRecord>();
	return results;
}

/** Marks a token revoked (idempotent: the first revocation time is kept). */
export async function revokeToken(db: D1Database, id: string, now: number): Promise<TokenRecord | null> {
	return db
		.prepare(`UPDATE api_tokens SET revoked_at = coalesce(revoked_at, ?) WHERE id = ? RETURNING ${PUBLIC_COLUMNS}`)
		.bind(now, id)
		.first<TokenRecord>();
}

/** Records use at most once a minute per token, so reads don't each cost a write. */
export async function touchToken(db: D1Database, id: string, now: number): Promise<void> {
	await db
		.prepare("UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)")
		.bind(now, id, now - 60_000)
		.run();
}

/** Tokens of a user that still open doors (not revoked, not expired): what SPARKY_MAX_TOKENS caps. */
export async function countLiveTokens(db: D1Database, userId: string, now: number): Promise<number> {
	const row = await db
		.prepare(
			"SELECT count(*) AS n FROM api_tokens WHERE user_id = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)",
		)
		.bind(userId, now)
		.first<{ n: number }>();
	return row?.n ?? 0;
}
