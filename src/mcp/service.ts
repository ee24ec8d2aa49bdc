/** The MCP servers a user connects: create, change, remove, list, and their live tool lists. */
import { agentConfig, capsConfig } from "../config.ts";
import { hubRates, spendRate } from "../deps.ts";
import { conflict, invalid, notFound, SparkyError, unavailable } from "../errors.ts";
import { ErrorCode, newId } from "../protocol/index.ts";
import type { CreateMcpServerBody, McpHeaders, McpSignIn, McpToolInfo, UpdateMcpServerBody } from "../protocol/mcp.ts";
import { getMcpOAuth } from "../storage/mcp-oauth.ts";
import { forgetMcpTools } from "../storage/mcp-server-status.ts";
import {
	deleteMcpServer,
	getMcpServer,
	insertMcpServer,
	listMcpServers,
	type McpServerRow,
	setMcpServerEnabled,
	updateMcpServer as updateRow,
} from "../storage/mcp-servers.ts";
import { allowHint, checkUrl } from "../tools/net-guard.ts";
import { mcpToolNeedsApproval } from "./approval.ts";
import { connectMcp, listRemoteTools, McpNeedsAuth, McpUnavailable, messageOf } from "./client.ts";
import { openMcpServer } from "./connect.ts";
import { headersContext } from "./headers.ts";
import { agentToolName, scrub } from "./names.ts";
import { NeedsSignIn } from "./oauth-tokens.ts";
import { SecretsKeyMissing, sealJson } from "./secrets.ts";
import { type PreparedSignIn, prepareSignIn, signInAtRegistration } from "./sign-in.ts";
import { listAndKeep, noteFailure } from "./tool-cache.ts";

/** The URL as stored, once the network guard let it through (else a 400 naming the reason). */
function vetUrl(env: Env, raw: string): string {
	const checked = checkUrl(raw, agentConfig(env).fetchAllow);
	if (!checked.ok) {
		throw invalid(`url refused: ${checked.reason}${allowHint(checked)}`, [{ path: "url", message: checked.reason }]);
	}
	return checked.url.href;
}

async function seal(env: Env, row: Pick<McpServerRow, "id" | "user_id">, headers: McpHeaders | null | undefined) {
	if (!headers || Object.keys(headers).length === 0) return { header_names: "[]", headers: null };
	try {
		return {
			header_names: JSON.stringify(Object.keys(headers)),
			headers: await sealJson(env.SPARKY_SECRETS_KEY, headers, headersContext(row)),
		};
	} catch (error) {
		if (error instanceof SecretsKeyMissing) throw unavailable(error.message);
		throw error;
	}
}

/** A new server, and the sign-in to finish in the browser when it signs in with OAuth. */
export interface CreatedMcpServer {
	row: McpServerRow;
	signIn?: McpSignIn;
}

export interface CreateOptions {
	now?: number;
	fetch?: typeof fetch;
	/** Sparky's origin as the user reached it: the OAuth callback's and client metadata's base. */
	origin?: string;
}

export async function createMcpServer(
	env: Env,
	userId: string,
	body: CreateMcpServerBody,
	options: CreateOptions = {},
): Promise<CreatedMcpServer> {
	const now = options.now ?? Date.now();
	const url = vetUrl(env, body.url);
	const cap = capsConfig(env).mcpServers;
	// At the cap, a 409 that spends nothing; below it, the rate (the insert re-checks the cap atomically).
	if ((await listMcpServers(env.DB, userId)).length >= cap) throw overCap(cap);
	await spendRate({ rates: hubRates(env) }, userId, "mcp");
	let oauth: PreparedSignIn | undefined;
	if (body.verify !== false) {
		const challenge = await verifyMcpServer(env, url, body.headers ?? {}, options.fetch);
		if (challenge)
			oauth = await prepareSignIn(env, url, challenge, { origin: originOf(options), fetch: options.fetch });
	}
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
	if (!row) {
		if (await getMcpServer(env.DB, userId, body.name))
			throw conflict(`you already have an MCP server named "${body.name}"`);
		throw overCap(cap);
	}
	if (!oauth) return { row };
	try {
		return {
			row,
			signIn: await signInAtRegistration(env, row, oauth, { origin: originOf(options), fetch: options.fetch, now }),
		};
	} catch (error) {
		// Nothing half made: a server whose sign-in could not start is not kept.
		await deleteMcpServer(env.DB, row.id);
		throw error;
	}
}

const originOf = (options: { origin?: string }) => options.origin ?? "http://localhost";

/** What registration tries, in order, each within the connect deadline and through the network guard. */
const VERIFY_STEPS = ["server/discover (MCP 2026-07-28)", "initialize (Streamable HTTP, then HTTP+SSE)", "tools/list"];

/** Whether headers carry credentials of the user's own (then a 401 means they are wrong, not "sign in"). */
const hasOwnAuth = (headers: McpHeaders) => Object.keys(headers).some((h) => h.toLowerCase() === "authorization");

/**
 * Registration asks the server what a run will (server/discover or initialize, then tools/list), with the same
 * deadlines and network guard, so a wrong URL (a path that is no MCP endpoint, a web page, a
 * server that is down) is a 422 now rather than a failure in the middle of a run. A server
 * that answers 401 to a registration without an Authorization header wants an OAuth sign-in:
 * its challenge comes back.
 */
async function verifyMcpServer(
	env: Env,
	url: string,
	headers: McpHeaders,
	fetchImpl?: typeof fetch,
): Promise<McpNeedsAuth | undefined> {
	let client: Awaited<ReturnType<typeof connectMcp>> | undefined;
	try {
		client = await connectMcp({ url, headers, allow: agentConfig(env).fetchAllow, fetch: fetchImpl });
		await listRemoteTools(client);
		return undefined;
	} catch (error) {
		if (error instanceof McpNeedsAuth && !hasOwnAuth(headers)) return error;
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
	// Another URL or other credentials may list other tools.
	if (body.url !== undefined || body.headers !== undefined) await forgetMcpTools(env.DB, row.id).run();
	if (body.enabled !== undefined) await setMcpServerEnabled(env.DB, row.id, body.enabled, now);
	return updated;
}

/** A user's own server by name, or 404. */
export async function ownMcpServer(env: Env, userId: string, name: string): Promise<McpServerRow> {
	const row = await getMcpServer(env.DB, userId, name);
	if (!row) throw notFound(`MCP server "${name}"`);
	return row;
}

/**
 * The server's live tool list (503 `unavailable` naming the problem when it can't be reached;
 * 409 when it needs sign-in). A list fetched here refreshes the one runs use.
 */
export async function liveTools(env: Env, row: McpServerRow, fetchImpl?: typeof fetch): Promise<McpToolInfo[]> {
	let open: Awaited<ReturnType<typeof openMcpServer>> | undefined;
	try {
		open = await openMcpServer(env, row, await getMcpOAuth(env.DB, row.id), { fetch: fetchImpl });
		const { tools: listed } = await listAndKeep(env.DB, row.id, open.client, open.headers);
		return listed.map((tool) => ({
			name: tool.name,
			agent_name: agentToolName(row.name, tool.name),
			description: tool.description ?? null,
			input_schema: tool.inputSchema,
			read_only: tool.annotations?.readOnlyHint === true,
			needs_approval: mcpToolNeedsApproval(row, tool),
		}));
	} catch (error) {
		if (error instanceof NeedsSignIn)
			throw conflict(`MCP server "${row.name}" needs sign-in: ${error.reason}`, { needs_sign_in: true });
		const message = scrub(error instanceof McpUnavailable ? error.message : messageOf(error), open?.headers ?? {});
		await noteFailure(env.DB, row.id, message);
		throw unavailable(`MCP server "${row.name}" could not be listed: ${message}`);
	} finally {
		await open?.client.close().catch(() => {});
	}
}
