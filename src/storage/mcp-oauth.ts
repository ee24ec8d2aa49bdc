/**
 * OAuth sign-ins of MCP servers (`mcp_oauth`, one row per server) and the sign-ins under way
 * (`mcp_oauth_flows`). `client` and `tokens` are sealed (src/mcp/secrets.ts), never plain text.
 */
import type { McpAuthState } from "../protocol/mcp.ts";

export type McpOAuthRow = {
	server_id: string;
	state: McpAuthState;
	/** RFC 8707 resource indicator sent with every authorization and token request. */
	resource: string | null;
	resource_metadata_url: string | null;
	/** The authorization server's `issuer`. */
	issuer: string;
	/** JSON: the authorization server's metadata (public). */
	metadata: string;
	scope: string | null;
	client: string | null;
	tokens: string | null;
	expires_at: number | null;
	reason: string | null;
	version: number;
	signed_in_at: number | null;
	updated_at: number;
};

export type McpOAuthFlowRow = {
	state_hash: string;
	user_id: string;
	server_id: string;
	secret: string;
	redirect_uri: string;
	created_at: number;
	expires_at: number;
};

export async function getMcpOAuth(db: D1Database, serverId: string): Promise<McpOAuthRow | null> {
	return db.prepare("SELECT * FROM mcp_oauth WHERE server_id = ?").bind(serverId).first<McpOAuthRow>();
}

/** The OAuth rows of a user's servers, by server id (one query, for lists). */
export async function mcpOAuthOfUser(db: D1Database, userId: string): Promise<Map<string, McpOAuthRow>> {
	const { results } = await db
		.prepare("SELECT o.* FROM mcp_oauth o JOIN mcp_servers s ON s.id = o.server_id WHERE s.user_id = ?")
		.bind(userId)
		.all<McpOAuthRow>();
	return new Map(results.map((row) => [row.server_id, row]));
}

/** A statement that writes the whole row (a new sign-in replaces what was there). */
export function putMcpOAuth(db: D1Database, row: McpOAuthRow): D1PreparedStatement {
	return db
		.prepare(
			`INSERT INTO mcp_oauth (server_id, state, resource, resource_metadata_url, issuer, metadata, scope, client, tokens,
			   expires_at, reason, version, signed_in_at, updated_at)
			 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			 ON CONFLICT (server_id) DO UPDATE SET state = excluded.state, resource = excluded.resource,
			   resource_metadata_url = excluded.resource_metadata_url, issuer = excluded.issuer, metadata = excluded.metadata,
			   scope = excluded.scope, client = excluded.client, tokens = excluded.tokens, expires_at = excluded.expires_at,
			   reason = excluded.reason, version = mcp_oauth.version + 1, signed_in_at = excluded.signed_in_at,
			   updated_at = excluded.updated_at`,
		)
		.bind(
			row.server_id,
			row.state,
			row.resource,
			row.resource_metadata_url,
			row.issuer,
			row.metadata,
			row.scope,
			row.client,
			row.tokens,
			row.expires_at,
			row.reason,
			row.version,
			row.signed_in_at,
			row.updated_at,
		);
}

/**
 * Stores new tokens only if the row is still at `version` (compare and set): of two refreshes
 * racing, one wins and the other learns so (null) instead of overwriting newer tokens.
 */
export async function saveMcpTokens(
	db: D1Database,
	serverId: string,
	version: number,
	next: { tokens: string; expires_at: number | null; signed_in_at?: number; now: number },
): Promise<McpOAuthRow | null> {
	return db
		.prepare(
			`UPDATE mcp_oauth SET state = 'signed_in', tokens = ?, expires_at = ?, reason = NULL, version = version + 1,
			   signed_in_at = coalesce(?, signed_in_at), updated_at = ?
			 WHERE server_id = ? AND version = ? RETURNING *`,
		)
		.bind(next.tokens, next.expires_at, next.signed_in_at ?? null, next.now, serverId, version)
		.first<McpOAuthRow>();
}

/** Marks the sign-in as needing the user again (its tokens dropped), unless a newer version replaced them. */
export async function markMcpNeedsSignIn(
	db: D1Database,
	serverId: string,
	version: number,
	reason: string,
	now: number,
): Promise<boolean> {
	const result = await db
		.prepare(
			`UPDATE mcp_oauth SET state = 'needs_sign_in', tokens = NULL, expires_at = NULL, reason = ?, version = version + 1,
			   updated_at = ? WHERE server_id = ? AND version = ?`,
		)
		.bind(reason, now, serverId, version)
		.run();
	return (result.meta.changes ?? 0) > 0;
}

/**
 * Records a sign-in under way unless the user already has `maxPending` unexpired ones (one
 * statement, so racing starts can't pass the cap together). Expired flows of the user go first.
 */
export async function insertMcpOAuthFlow(db: D1Database, flow: McpOAuthFlowRow, maxPending: number): Promise<boolean> {
	const [, inserted] = await db.batch([
		db.prepare("DELETE FROM mcp_oauth_flows WHERE user_id = ? AND expires_at <= ?").bind(flow.user_id, flow.created_at),
		db
			.prepare(
				`INSERT INTO mcp_oauth_flows (state_hash, user_id, server_id, secret, redirect_uri, created_at, expires_at)
				 SELECT ?, ?, ?, ?, ?, ?, ?
				 WHERE (SELECT count(*) FROM mcp_oauth_flows WHERE user_id = ?) < ?`,
			)
			.bind(
				flow.state_hash,
				flow.user_id,
				flow.server_id,
				flow.secret,
				flow.redirect_uri,
				flow.created_at,
				flow.expires_at,
				flow.user_id,
				maxPending,
			),
	]);
	return (inserted?.meta.changes ?? 0) > 0;
}

/** Takes a flow by its state's hash: deleted in the same statement, so a state works once. */
export async function takeMcpOAuthFlow(db: D1Database, stateHash: string): Promise<McpOAuthFlowRow | null> {
	return db
		.prepare("DELETE FROM mcp_oauth_flows WHERE state_hash = ? RETURNING *")
		.bind(stateHash)
		.first<McpOAuthFlowRow>();
}

/** Flows of a server (a new sign-in supersedes them). */
export function dropMcpOAuthFlows(db: D1Database, serverId: string): D1PreparedStatement {
	return db.prepare("DELETE FROM mcp_oauth_flows WHERE server_id = ?").bind(serverId);
}
