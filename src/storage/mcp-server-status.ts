/**
 * What Sparky remembers of each MCP server between runs (`mcp_server_status`): its last tool
 * list (JSON, sorted by name) with how long it stays fresh, and its health.
 */
export type McpServerStatusRow = {
	server_id: string;
	tools: string | null;
	listed_at: number | null;
	fresh_until: number | null;
	health: "unknown" | "ok" | "failing";
	last_error: string | null;
	last_error_at: number | null;
	last_ok_at: number | null;
};

export async function getMcpServerStatus(db: D1Database, serverId: string): Promise<McpServerStatusRow | null> {
	return db.prepare("SELECT * FROM mcp_server_status WHERE server_id = ?").bind(serverId).first<McpServerStatusRow>();
}

/** The status rows of several servers, by id (one query). */
export async function mcpServerStatuses(db: D1Database, userId: string): Promise<Map<string, McpServerStatusRow>> {
	const { results } = await db
		.prepare("SELECT t.* FROM mcp_server_status t JOIN mcp_servers s ON s.id = t.server_id WHERE s.user_id = ?")
		.bind(userId)
		.all<McpServerStatusRow>();
	return new Map(results.map((row) => [row.server_id, row]));
}

/** A fresh tool list: the server answered, so it is healthy too. */
export async function saveMcpTools(
	db: D1Database,
	serverId: string,
	tools: string,
	now: number,
	freshUntil: number,
): Promise<void> {
	await db
		.prepare(
			`INSERT INTO mcp_server_status (server_id, tools, listed_at, fresh_until, health, last_ok_at)
			 VALUES (?, ?, ?, ?, 'ok', ?)
			 ON CONFLICT (server_id) DO UPDATE SET tools = excluded.tools, listed_at = excluded.listed_at,
			   fresh_until = excluded.fresh_until, health = 'ok', last_ok_at = excluded.last_ok_at`,
		)
		.bind(serverId, tools, now, freshUntil, now)
		.run();
}

/** The server answered (a call, a connection). */
export async function markMcpServerOk(db: D1Database, serverId: string, now: number): Promise<void> {
	await db
		.prepare(
			`INSERT INTO mcp_server_status (server_id, health, last_ok_at) VALUES (?, 'ok', ?)
			 ON CONFLICT (server_id) DO UPDATE SET health = 'ok', last_ok_at = excluded.last_ok_at`,
		)
		.bind(serverId, now)
		.run();
}

/** The server failed: its error (already scrubbed of secrets) and when. The cached tools stay. */
export async function markMcpServerFailing(
	db: D1Database,
	serverId: string,
	error: string,
	now: number,
): Promise<void> {
	await db
		.prepare(
			`INSERT INTO mcp_server_status (server_id, health, last_error, last_error_at) VALUES (?, 'failing', ?, ?)
			 ON CONFLICT (server_id) DO UPDATE SET health = 'failing', last_error = excluded.last_error,
			   last_error_at = excluded.last_error_at`,
		)
		.bind(serverId, error.slice(0, 1000), now)
		.run();
}

/** Forgets the cached tools (the URL or the credentials changed: the list may differ). */
export function forgetMcpTools(db: D1Database, serverId: string): D1PreparedStatement {
	return db.prepare("UPDATE mcp_server_status SET tools = NULL, fresh_until = NULL WHERE server_id = ?").bind(serverId);
}
