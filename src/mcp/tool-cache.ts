/**
 * A server's tool list, kept in D1 between runs (`mcp_server_status`): fresh for the server's
 * `ttlMs` when it sends one, else MCP_TOOLS_DEFAULT_TTL_MS, always sorted by name (the same
 * prompt, so providers' prompt caches hit). Listing also records the server's health.
 */
import { z } from "zod";
import {
	type McpServerStatusRow,
	markMcpServerFailing,
	markMcpServerOk,
	saveMcpTools,
} from "../storage/mcp-server-status.ts";
import { listRemoteTools, type McpClient, type RemoteTool, RemoteToolSchema } from "./client.ts";
import { scrubJson } from "./names.ts";

/** How long a list stays fresh when the server doesn't say (2025 revisions never do). */
export const MCP_TOOLS_DEFAULT_TTL_MS = 5 * 60_000;
/** The longest Sparky trusts a list, whatever the server says. */
export const MCP_TOOLS_MAX_TTL_MS = 24 * 60 * 60_000;

/** How long a list with this `ttlMs` (undefined: not sent) stays fresh. */
export function freshFor(ttlMs: number | undefined): number {
	if (ttlMs === undefined) return MCP_TOOLS_DEFAULT_TTL_MS;
	return Math.min(Math.max(0, ttlMs), MCP_TOOLS_MAX_TTL_MS);
}

/** The cached list when it is still fresh at `now` (it was validated and scrubbed before it was stored). */
export function freshTools(status: McpServerStatusRow | null | undefined, now: number): RemoteTool[] | undefined {
	if (!status?.tools || status.fresh_until === null || status.fresh_until <= now) return undefined;
	const parsed = z.array(RemoteToolSchema).safeParse(JSON.parse(status.tools));
	return parsed.success ? parsed.data : undefined;
}

export interface ListedTools {
	tools: RemoteTool[];
	stopped?: string;
}

/** Lists the tools (scrubbed of `headers`), stores them with their freshness, and marks the server healthy. */
export async function listAndKeep(
	db: D1Database,
	serverId: string,
	client: McpClient,
	headers: Record<string, string>,
	options: { signal?: AbortSignal; now?: () => number } = {},
): Promise<ListedTools> {
	const now = options.now ?? Date.now;
	const listed = await listRemoteTools(client, { signal: options.signal });
	// A server's own words (descriptions, schemas) may carry what it was sent.
	const tools = scrubJson(listed.tools, headers);
	// A list cut short is not kept: the next run asks again.
	if (listed.stopped) await markMcpServerOk(db, serverId, now());
	else await saveMcpTools(db, serverId, JSON.stringify(tools), now(), now() + freshFor(listed.ttlMs));
	return { tools, ...(listed.stopped ? { stopped: listed.stopped } : {}) };
}

/** Records that the server failed (`reason` already scrubbed). Never throws: health is a note, not the work. */
export async function noteFailure(db: D1Database, serverId: string, reason: string): Promise<void> {
	await markMcpServerFailing(db, serverId, reason, Date.now()).catch(() => {});
}
