/**
 * Connecting to one of a user's servers with its credentials: its own headers, and for a
 * server that signs in with OAuth a fresh access token. A token the server refuses (401) is
 * refreshed once and tried again; refused again, the server needs sign-in.
 */
import { agentConfig } from "../config.ts";
import { getMcpOAuth, type McpOAuthRow } from "../storage/mcp-oauth.ts";
import type { McpServerRow } from "../storage/mcp-servers.ts";
import { connectMcp, type McpClient, McpNeedsAuth, McpUnavailable, messageOf } from "./client.ts";
import { headersOf } from "./headers.ts";
import { scrub } from "./names.ts";
import { NeedsSignIn, oauthAuthorization, tokenRefused } from "./oauth-tokens.ts";
import { oauthFetch } from "./sign-in.ts";

export interface OpenServer {
	client: McpClient;
	/** What was sent (for scrubbing what comes back); never shown. */
	headers: Record<string, string>;
}

export interface OpenOptions {
	fetch?: typeof fetch;
	signal?: AbortSignal;
	timeoutMs?: number;
}

/** Connects (initialize) with the server's credentials. NeedsSignIn when its OAuth sign-in is gone. */
export async function openMcpServer(
	env: Env,
	row: McpServerRow,
	oauth: McpOAuthRow | null,
	options: OpenOptions = {},
): Promise<OpenServer> {
	const own = await headersOf(env, row);
	const connect = (headers: Record<string, string>) =>
		connectMcp({
			url: row.url,
			headers,
			allow: agentConfig(env).fetchAllow,
			fetch: options.fetch,
			signal: options.signal,
			timeoutMs: options.timeoutMs,
		}).then(
			(client) => ({ client, headers }),
			(error: unknown) => {
				throw scrubbed(error, headers);
			},
		);
	if (!oauth) return connect(own);
	const tokenFetch = oauthFetch(env, options.fetch);
	const first = { ...own, ...(await oauthAuthorization(env, row, oauth, { fetch: tokenFetch })) };
	try {
		return await connect(first);
	} catch (error) {
		if (!(error instanceof McpNeedsAuth)) throw error;
	}
	// Refused: the token may have been revoked or expired early. One refresh, one more try.
	const current = await getMcpOAuth(env.DB, row.id);
	if (!current) throw new NeedsSignIn("the sign-in was removed");
	const second = { ...own, ...(await oauthAuthorization(env, row, current, { fetch: tokenFetch, force: true })) };
	try {
		return await connect(second);
	} catch (error) {
		if (!(error instanceof McpNeedsAuth)) throw error;
		const latest = await getMcpOAuth(env.DB, row.id);
		throw latest ? await tokenRefused(env, row, latest) : new NeedsSignIn("the sign-in was removed");
	}
}

/** The error with what was sent (a key, a token) taken out of its message: a server may echo it. */
function scrubbed(error: unknown, headers: Record<string, string>): unknown {
	if (error instanceof McpNeedsAuth) return error;
	if (error instanceof McpUnavailable) {
		error.message = scrub(error.message, headers);
		return error;
	}
	return new McpUnavailable(scrub(messageOf(error), headers));
}
