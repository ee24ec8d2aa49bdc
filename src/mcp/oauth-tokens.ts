/**
 * A signed-in server's tokens: sealed at rest (the scheme of src/mcp/secrets.ts, with a context
 * of their own), refreshed before they expire, and dropped, with the server marked "needs
 * sign-in", when the authorization server refuses the refresh. Nothing here is ever returned,
 * logged or relayed: the access token only goes into requests to that server.
 */
import { refreshAuthorization } from "@modelcontextprotocol/sdk/client/auth.js";
import { OAuthError, ServerError } from "@modelcontextprotocol/sdk/server/auth/errors.js";
import type { AuthorizationServerMetadata } from "@modelcontextprotocol/sdk/shared/auth.js";
import { z } from "zod";
import { getMcpOAuth, type McpOAuthRow, markMcpNeedsSignIn, saveMcpTokens } from "../storage/mcp-oauth.ts";
import type { McpServerRow } from "../storage/mcp-servers.ts";
import { McpUnavailable, messageOf } from "./client.ts";
import { type OAuthClient, OAuthClientSchema } from "./oauth-client-id.ts";
import { openJson, sealJson } from "./secrets.ts";

/** Refresh this long before the access token expires (a run's calls must not meet an expired token). */
export const REFRESH_MARGIN_MS = 5 * 60_000;

/** The server's tokens need the user: sign in again. Its tools stay out of runs until then. */
export class NeedsSignIn extends McpUnavailable {
	constructor(readonly reason: string) {
		super(`needs sign-in: ${reason}`);
		this.name = "NeedsSignIn";
	}
}

export const StoredTokensSchema = z.object({
	access_token: z.string().min(1),
	token_type: z.string(),
	refresh_token: z.string().min(1).optional(),
	scope: z.string().optional(),
});
export type StoredTokens = z.infer<typeof StoredTokensSchema>;

type Owner = Pick<McpServerRow, "id" | "user_id">;
/** Additional data of each sealed value: the owner, the server, and what it is (a value can't stand in for another). */
const contextOf = (server: Owner, what: "oauth-tokens" | "oauth-client" | "oauth-flow") =>
	`${server.user_id}/${server.id}/${what}`;

export const sealTokens = (env: Env, server: Owner, tokens: StoredTokens) =>
	sealJson(env.SPARKY_SECRETS_KEY, StoredTokensSchema.parse(tokens), contextOf(server, "oauth-tokens"));
export const sealClient = (env: Env, server: Owner, client: OAuthClient) =>
	sealJson(env.SPARKY_SECRETS_KEY, client, contextOf(server, "oauth-client"));
export const sealFlow = (env: Env, server: Owner, flow: unknown) =>
	sealJson(env.SPARKY_SECRETS_KEY, flow, contextOf(server, "oauth-flow"));
export const openFlow = (env: Env, server: Owner, sealed: string) =>
	openJson(env.SPARKY_SECRETS_KEY, sealed, contextOf(server, "oauth-flow"));

export async function openTokens(env: Env, server: Owner, sealed: string): Promise<StoredTokens> {
	return StoredTokensSchema.parse(await openJson(env.SPARKY_SECRETS_KEY, sealed, contextOf(server, "oauth-tokens")));
}
export async function openClient(env: Env, server: Owner, sealed: string): Promise<OAuthClient> {
	return OAuthClientSchema.parse(await openJson(env.SPARKY_SECRETS_KEY, sealed, contextOf(server, "oauth-client")));
}

/** When an access token given `expires_in` seconds now expires (null: the server didn't say). */
export const expiryOf = (expiresIn: number | undefined, now: number) =>
	expiresIn === undefined || !Number.isFinite(expiresIn) ? null : now + Math.max(0, expiresIn) * 1000;

/** Whether a token expiring at `expiresAt` should be refreshed at `now`. */
export const dueForRefresh = (expiresAt: number | null, now: number) =>
	expiresAt !== null && expiresAt - now <= REFRESH_MARGIN_MS;

export interface TokenOptions {
	fetch: typeof fetch;
	now?: () => number;
	/** Refresh even if the token looks valid (the server just refused it). */
	force?: boolean;
}

/**
 * The `Authorization` header for a signed-in server, refreshing its token first when it
 * expires within REFRESH_MARGIN_MS (or `force`). Throws NeedsSignIn when there is no usable
 * token and the authorization server refused to refresh it (the row is marked so); an
 * authorization server that is down is McpUnavailable (the sign-in stays).
 */
export async function oauthAuthorization(
	env: Env,
	server: Owner,
	row: McpOAuthRow,
	options: TokenOptions,
): Promise<Record<string, string>> {
	const now = options.now ?? Date.now;
	if (row.state !== "signed_in" || !row.tokens)
		throw new NeedsSignIn(row.reason ?? (row.state === "pending" ? "the sign-in was not finished" : "signed out"));
	const tokens = await openTokens(env, server, row.tokens);
	if (!options.force && !dueForRefresh(row.expires_at, now())) return bearer(tokens);
	const fresh = await refresh(env, server, row, tokens, options.fetch, now, options.force === true);
	return bearer(fresh);
}

const bearer = (tokens: StoredTokens) => ({ Authorization: `Bearer ${tokens.access_token}` });

async function refresh(
	env: Env,
	server: Owner,
	row: McpOAuthRow,
	tokens: StoredTokens,
	fetchFn: typeof fetch,
	now: () => number,
	refused: boolean,
): Promise<StoredTokens> {
	// A token the server just refused counts as expired, whatever its expiry said.
	const expired = refused || row.expires_at === null || row.expires_at <= now();
	if (!tokens.refresh_token) {
		const why = refused ? "the server refused the access token" : "the access token expired";
		return giveUp(env, server, row, `${why}, and there is no refresh token`);
	}
	let next: StoredTokens;
	try {
		const client = row.client ? await openClient(env, server, row.client) : undefined;
		if (!client) return giveUp(env, server, row, "Sparky's client at the authorization server is missing");
		const answer = await refreshAuthorization(row.issuer, {
			metadata: JSON.parse(row.metadata) as AuthorizationServerMetadata,
			clientInformation: client,
			refreshToken: tokens.refresh_token,
			resource: row.resource ?? undefined,
			fetchFn,
		});
		next = StoredTokensSchema.parse(answer);
		const saved = await saveMcpTokens(env.DB, server.id, row.version, {
			tokens: await sealTokens(env, server, next),
			expires_at: expiryOf(answer.expires_in, now()),
			now: now(),
		});
		// Another run refreshed first (and may have spent the refresh token): use what it stored.
		if (!saved) return await newerTokens(env, server, row);
		return next;
	} catch (error) {
		if (error instanceof NeedsSignIn) throw error;
		// The authorization server said no (invalid_grant: revoked or expired refresh token, …).
		if (error instanceof OAuthError && !(error instanceof ServerError)) {
			const newer = await newerTokens(env, server, row).catch(() => undefined);
			if (newer) return newer;
			return giveUp(env, server, row, `the authorization server refused to refresh the token (${error.errorCode})`);
		}
		// Down, unreachable, refused by the network guard: the sign-in stays; an unexpired token still works.
		if (!expired) return tokens;
		throw new McpUnavailable(`could not refresh the access token: ${messageOf(error)}`);
	}
}

/** The tokens another refresh stored since `row` was read, if any. */
async function newerTokens(env: Env, server: Owner, row: McpOAuthRow): Promise<StoredTokens> {
	const current = await getMcpOAuth(env.DB, server.id);
	if (!current || current.version === row.version || current.state !== "signed_in" || !current.tokens)
		throw new NeedsSignIn(current?.reason ?? "the token changed while it was refreshed");
	return openTokens(env, server, current.tokens);
}

async function giveUp(env: Env, server: Owner, row: McpOAuthRow, reason: string): Promise<never> {
	await markMcpNeedsSignIn(env.DB, server.id, row.version, reason, Date.now());
	throw new NeedsSignIn(reason);
}

/** The server refused a token Sparky had (revoked, or for another resource): the user signs in again. */
export async function tokenRefused(env: Env, server: Owner, row: McpOAuthRow): Promise<NeedsSignIn> {
	const reason = "the server refused the access token (revoked or expired)";
	await markMcpNeedsSignIn(env.DB, server.id, row.version, reason, Date.now());
	return new NeedsSignIn(reason);
}
