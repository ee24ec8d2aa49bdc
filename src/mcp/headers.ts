/** A server's own header values (API keys), decrypted: for the transport only, never returned, logged or relayed. */
import { McpHeadersSchema } from "../protocol/mcp.ts";
import type { McpServerRow } from "../storage/mcp-servers.ts";
import { openJson } from "./secrets.ts";

/** The sealing context of a row's headers: its owner and id (a value copied to another row won't open). */
export const headersContext = (row: Pick<McpServerRow, "id" | "user_id">) => `${row.user_id}/${row.id}`;

/** The server's header values, decrypted (for the transport only: never returned, logged or relayed). */
export async function headersOf(env: Env, row: McpServerRow): Promise<Record<string, string>> {
	if (!row.headers) return {};
	const parsed = McpHeadersSchema.safeParse(await openJson(env.SPARKY_SECRETS_KEY, row.headers, headersContext(row)));
	if (!parsed.success) throw new Error("stored MCP headers do not validate");
	return parsed.data;
}
