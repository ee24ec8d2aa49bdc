/** The MCP servers a user connects: create, change, remove, list, and their live tool lists. */
import { agentConfig, capsConfig } from "../config.ts";
import { hubRates, spendRate } from "../deps.ts";
import { conflict, invalid, notFound, SparkyError, unavailable } from "../errors.ts";
import { ErrorCode, newId } from "../protocol/index.ts";
import {
	type CreateMcpServerBody,
	type McpHeaders,
	McpHeadersSchema,
	type McpServer,
	type McpToolInfo,
	type UpdateMcpServerBody,
} from "../protocol/mcp.ts";
import {
	getMcpServer,
	insertMcpServer,
	listMcpServers,
	type McpServerRow,
	setMcpServerEnabled,
	updateMcpServer as updateRow,
} from "../storage/mcp-servers.ts";
import { allowHint, checkUrl } from "../tools/net-guard.ts";
import { mcpToolNeedsApproval } from "./approval.ts";
import { connectMcp, listRemoteTools, McpUnavailable, messageOf } from "./client.ts";
import { agentToolName, scrub, scrubJson } from "./names.ts";
import { openJson, SecretsKeyMissing, sealJson } from "./secrets.ts";

/** The API's view of a row; `off` is the user's switched-off servers (disabledMcpServers). */
export function toMcpServer(row: McpServerRow, off: ReadonlySet<string>): McpServer {
	return {
		name: row.name,
		url: row.url,
		header_names: JSON.parse(row.header_names) as string[],
		approval: row.approval,
		enabled: !off.has(row.id),
		created_at: row.created_at,
		updated_at: row.updated_at,
	};
}

/** The URL as stored, once the network guard let it through (else a 400 naming the reason). */
function vetUrl(env: Env, raw: string): string {
	const checked = checkUrl(raw, agentConfig(env).fetchAllow);
	if (!checked.ok) {
		throw invalid(`url refused: ${checked.reason}${allowHint(checked)}`, [{ path: "url", message: checked.reason }]);
	}
	return checked.url.href;
}

const context = (row: Pick<McpServerRow, "id" | "user_id">) => `${row.user_id}/${row.id}`;

async function seal(env: Env, row: Pick<McpServerRow, "id" | "user_id">, headers: McpHeaders | null | undefined) {
	if (!headers || Object.keys(headers).length === 0) return { header_names: "[]", headers: null };
	try {
		return {
			header_names: JSON.stringify(Object.keys(headers)),
			headers: await sealJson(env.SPARKY_SECRETS_KEY, headers, context(row)),
		};
	} catch (error) {
		if (error instanceof SecretsKeyMissing) throw unavailable(error.message);
		throw error;
	}
}

/** The server's header values, decrypted (for the transport only: never returned, logged or relayed). */
export async function headersOf(env: Env, row: McpServerRow): Promise<Record<string, string>> {
	if (!row.headers) return {};
	const parsed = McpHeadersSchema.safeParse(await openJson(env.SPARKY_SECRETS_KEY, row.headers, context(row)));
	if (!parsed.success) throw new Error("stored MCP headers do not validate");
	return parsed.data;
}

export async function createMcpServer(
	env: Env,
	userId: string,
	body: CreateMcpServerBody,
	now = Date.now(),
	fetchImpl?: typeof fetch,
): Promise<McpServerRow> {
	const url = vetUrl(env, body.url);
	const cap = capsConfig(env).mcpServers;
	// At the cap, a 409 that spends nothing; below it, the rate (the insert re-checks the cap atomically).
	if ((await listMcpServers(env.DB, userId)).length >= cap) throw overCap(cap);
	await spendRate({ rates: hubRates(env) }, userId, "mcp");
	if (body.verify !== false) await verifyMcpServer(env, url, body.headers ?? {}, fetchImpl);
	const id = newId("mcp", 12);
	const sealed = await seal(env, { id, user_id: userId }, body.headers);
	const row = await insertMcpServer(
		env.DB,
		{
			id,
			user_id: userId,
			name: body.name,
			url,
			...sealed,
			approval: body.approval ?? "auto",
			created_at: now,
			updated_at: now,
		},
		cap,
	);
	if (row) return row;
	if (await getMcpServer(env.DB, userId, body.name))
		throw conflict(`you already have an MCP server named "${body.name}"`);
	throw overCap(cap);
}

/** What registration tries, in order, each within the connect deadline and through the network guard. */
const VERIFY_STEPS = ["initialize (Streamable HTTP, then HTTP+SSE)", "tools/list"];

/**
 * Registration asks the server what a run will (initialize, then tools/list), with the same
 * deadlines and network guard, so a wrong URL (a path that is no MCP endpoint, a web page, a
 * server that is down) is a 422 now rather than a failure in the middle of a run.
 */
async function verifyMcpServer(env: Env, url: string, headers: McpHeaders, fetchImpl?: typeof fetch): Promise<void> {
	let client: Awaited<ReturnType<typeof connectMcp>> | undefined;
	try {
		client = await connectMcp({ url, headers, allow: agentConfig(env).fetchAllow, fetch: fetchImpl });
		await listRemoteTools(client);
	} catch (error) {
		const reason = scrub(error instanceof McpUnavailable ? error.message : messageOf(error), headers);
		throw new SparkyError(
			"unprocessable",
			ErrorCode.mcpUnreachable,
			`${url} did not answer as an MCP server, so it was not registered: ${reason}. Check the URL (the server's MCP endpoint, often …/mcp or …/sse) and its headers; to register it anyway, send "verify": false`,
			{ url, tried: VERIFY_STEPS, reason },
		);
	} finally {
		await client?.close().catch(() => {});
	}
}

const overCap = (cap: number) =>
	conflict(`you have ${cap} MCP servers, the most one user may have; remove one first`, {
		limit: cap,
		cap: "SPARKY_MAX_MCP_SERVERS",
	});

export async function updateMcpServer(
	env: Env,
	row: McpServerRow,
	body: UpdateMcpServerBody,
	now = Date.now(),
): Promise<McpServerRow> {
	const next: McpServerRow = { ...row, updated_at: now };
	if (body.url !== undefined) next.url = vetUrl(env, body.url);
	if (body.approval !== undefined) next.approval = body.approval;
	if (body.headers !== undefined) Object.assign(next, await seal(env, row, body.headers));
	const updated = await updateRow(env.DB, next);
	if (!updated) throw notFound(`MCP server "${row.name}"`);
	if (body.enabled !== undefined) await setMcpServerEnabled(env.DB, row.id, body.enabled, now);
	return updated;
}

/** A user's own server by name, or 404. */
export async function ownMcpServer(env: Env, userId: string, name: string): Promise<McpServerRow> {
	const row = await getMcpServer(env.DB, userId, name);
	if (!row) throw notFound(`MCP server "${name}"`);
	return row;
}

/** The server's live tool list (503 `unavailable` naming the problem when it can't be reached). */
export async function liveTools(env: Env, row: McpServerRow, fetchImpl?: typeof fetch): Promise<McpToolInfo[]> {
	const headers = await headersOf(env, row);
	let client: Awaited<ReturnType<typeof connectMcp>> | undefined;
	try {
		client = await connectMcp({ url: row.url, headers, allow: agentConfig(env).fetchAllow, fetch: fetchImpl });
		const { tools: listed } = await listRemoteTools(client);
		// A server's own words (descriptions, schemas) may carry what it was sent.
		return scrubJson(listed, headers).map((tool) => ({
			name: tool.name,
			agent_name: agentToolName(row.name, tool.name),
			description: tool.description ?? null,
			input_schema: tool.inputSchema,
			read_only: tool.annotations?.readOnlyHint === true,
			needs_approval: mcpToolNeedsApproval(row, tool),
		}));
	} catch (error) {
		const message = scrub(error instanceof McpUnavailable ? error.message : messageOf(error), headers);
		throw unavailable(`MCP server "${row.name}" could not be listed: ${message}`);
	} finally {
		await client?.close().catch(() => {});
	}
}
