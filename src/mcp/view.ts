/** A server as the API shows it: its settings, how it signs in (never a token) and how it has been answering. */
import type { McpHealth, McpOAuth, McpServer } from "../protocol/mcp.ts";
import type { McpOAuthRow } from "../storage/mcp-oauth.ts";
import type { McpServerStatusRow } from "../storage/mcp-server-status.ts";
import type { McpServerRow } from "../storage/mcp-servers.ts";

export interface McpServerExtras {
	/** The user's switched-off servers (disabledMcpServers). */
	off: ReadonlySet<string>;
	oauth?: ReadonlyMap<string, McpOAuthRow>;
	status?: ReadonlyMap<string, McpServerStatusRow>;
}

export function toMcpOAuth(row: McpOAuthRow): McpOAuth {
	return {
		type: "oauth",
		state: row.state,
		issuer: row.issuer,
		scope: row.scope,
		signed_in_at: row.signed_in_at,
		expires_at: row.state === "signed_in" ? row.expires_at : null,
		reason: row.state === "needs_sign_in" ? row.reason : null,
	};
}

export function toMcpHealth(row: McpServerStatusRow | undefined): McpHealth {
	return {
		state: row?.health ?? "unknown",
		last_error: row?.last_error ?? null,
		last_error_at: row?.last_error_at ?? null,
		last_ok_at: row?.last_ok_at ?? null,
		tools_listed_at: row?.listed_at ?? null,
	};
}

/** The API's view of a row. */
export function toMcpServer(row: McpServerRow, extras: McpServerExtras): McpServer {
	const oauth = extras.oauth?.get(row.id);
	return {
		name: row.name,
		url: row.url,
		header_names: JSON.parse(row.header_names) as string[],
		approval: row.approval,
		enabled: !extras.off.has(row.id),
		created_at: row.created_at,
		updated_at: row.updated_at,
		auth: oauth ? toMcpOAuth(oauth) : null,
		health: toMcpHealth(extras.status?.get(row.id)),
	};
}
