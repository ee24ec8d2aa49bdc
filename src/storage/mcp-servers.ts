/** A row of `mcp_servers`. `headers` is sealed (see src/mcp/secrets.ts), never plain text. */
export type McpServerRow = {
	id: string;
	user_id: string;
	name: string;
	url: string;
	/** JSON array of header names. */
	header_names: string;
	headers: string | null;
	approval: "auto" | "never" | "always";
	created_at: number;
	updated_at: number;
};

/**
 * Inserts a server unless its user already has one of that name or already has `maxPerUser`
 * (one statement, so racing creates can't pass the cap together). Null when refused.
 */
export async function insertMcpServer(
	db: D1Database,
	row: McpServerRow,
	maxPerUser: number,
): Promise<McpServerRow | null> {
	return db
		.prepare(
			`INSERT INTO mcp_servers (id, user_id, name, url, header_names, headers, approval, created_at, updated_at)
			 SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?
			 WHERE (SELECT count(*) FROM mcp_servers WHERE user_id = ?) < ?
			 ON CONFLICT (user_id, name) DO NOTHING RETURNING *`,
		)
		.bind(
			row.id,
			row.user_id,
			row.name,
			row.url,
			row.header_names,
			row.headers,
			row.approval,
			row.created_at,
			row.updated_at,
			row.user_id,
			maxPerUser,
		)
		.first<McpServerRow>();
}

export async function getMcpServer(db: D1Database, userId: string, name: string): Promise<McpServerRow | null> {
	return db
		.prepare("SELECT * FROM mcp_servers WHERE user_id = ? AND name = ?")
		.bind(userId, name)
		.first<McpServerRow>();
}

/** A user's server by id (a sign-in's flow names its server by id). */
export async function getMcpServerById(db: D1Database, userId: string, id: string): Promise<McpServerRow | null> {
	return db.prepare("SELECT * FROM mcp_servers WHERE user_id = ? AND id = ?").bind(userId, id).first<McpServerRow>();
}

export async function listMcpServers(db: D1Database, userId: string): Promise<McpServerRow[]> {
	const { results } = await db
		.prepare("SELECT * FROM mcp_servers WHERE user_id = ? ORDER BY name")
		.bind(userId)
		.all<McpServerRow>();
	return results;
}

export async function updateMcpServer(db: D1Database, row: McpServerRow): Promise<McpServerRow | null> {
	return db
		.prepare(
			"UPDATE mcp_servers SET url = ?, header_names = ?, headers = ?, approval = ?, updated_at = ? WHERE id = ? RETURNING *",
		)
		.bind(row.url, row.header_names, row.headers, row.approval, row.updated_at, row.id)
		.first<McpServerRow>();
}

export async function deleteMcpServer(db: D1Database, id: string): Promise<boolean> {
	const result = await db.prepare("DELETE FROM mcp_servers WHERE id = ?").bind(id).run();
	return (result.meta.changes ?? 0) > 0;
}

/** A user's servers that are switched on, by name: what a run connects to (one query). */
export async function enabledMcpServers(db: D1Database, userId: string): Promise<McpServerRow[]> {
	const { results } = await db
		.prepare(
			`SELECT s.* FROM mcp_servers s WHERE s.user_id = ?
			 AND NOT EXISTS (SELECT 1 FROM mcp_servers_off o WHERE o.server_id = s.id) ORDER BY s.name`,
		)
		.bind(userId)
		.all<McpServerRow>();
	return results;
}

/** Ids of a user's servers that are switched off. */
export async function disabledMcpServers(db: D1Database, userId: string): Promise<Set<string>> {
	const { results } = await db
		.prepare("SELECT o.server_id FROM mcp_servers_off o JOIN mcp_servers s ON s.id = o.server_id WHERE s.user_id = ?")
		.bind(userId)
		.all<{ server_id: string }>();
	return new Set(results.map((r) => r.server_id));
}

/** Switches a server on (its tools join runs again) or off. */
export async function setMcpServerEnabled(db: D1Database, id: string, enabled: boolean, now: number): Promise<void> {
	await (enabled
		? db.prepare("DELETE FROM mcp_servers_off WHERE server_id = ?").bind(id)
		: db.prepare("INSERT INTO mcp_servers_off (server_id, since) VALUES (?, ?) ON CONFLICT DO NOTHING").bind(id, now)
	).run();
}
