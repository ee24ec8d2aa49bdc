/**
 * Sparky's OAuth 2.1 authorization server for `/mcp` (issue #28), built on
 * @cloudflare/workers-oauth-provider: discovery (RFC 8414), dynamic client registration
 * (RFC 7591), the token endpoint (PKCE S256, refresh rotation, RFC 7009 revocation), and the
 * consent helpers the page's `/authorize` screen runs on. Clients, grants and tokens live in
 * `OAUTH_KV` (tokens hashed, props encrypted). Its one resource is `<origin>/mcp`.
 */
import { OAuthAuthorizationServer, type OAuthHelpers } from "@cloudflare/workers-oauth-provider";
import { oauthConfig } from "../config.ts";
import { hubFor } from "../hub/stub.ts";
import { log } from "../log.ts";
import { MCP_SCOPES } from "../protocol/index.ts";

/** Where the consent screen is (the page's route) and where the library serves the rest. */
export const AUTHORIZE_PATH = "/authorize";
export const TOKEN_PATH = "/oauth/token";
export const REGISTER_PATH = "/oauth/register";
export const MCP_PATH = "/mcp";

const HOUR = 3600;
const DAY = 24 * HOUR;

/** The origin whose authorization server answers this request: SPARKY_PUBLIC_URL's, else its own. */
export function oauthOrigin(env: Env, requestUrl: string): string {
	return oauthConfig(env).publicOrigin ?? new URL(requestUrl).origin;
}

/** The canonical resource every token is bound to (RFC 8707): `<origin>/mcp`. */
export const mcpResource = (origin: string) => `${origin}${MCP_PATH}`;

/** One server per origin (the library fixes its issuer at construction); a few at most. */
const servers = new Map<string, OAuthAuthorizationServer<Env> | null>();
const MAX_ORIGINS = 8;

/**
 * The authorization server for `origin`, or null when the origin can't be an OAuth issuer
 * (plain http off loopback): `/mcp` then takes Sparky API tokens only.
 */
export function authorizationServer(origin: string): OAuthAuthorizationServer<Env> | null {
	if (servers.has(origin)) return servers.get(origin) ?? null;
	let server: OAuthAuthorizationServer<Env> | null;
	try {
		server = new OAuthAuthorizationServer<Env>({
			issuer: origin,
			resources: [mcpResource(origin)],
			authorizeEndpoint: AUTHORIZE_PATH,
			tokenEndpoint: TOKEN_PATH,
			clientRegistrationEndpoint: REGISTER_PATH,
			scopesSupported: [...MCP_SCOPES],
			accessTokenTTL: HOUR,
			refreshTokenTTL: 30 * DAY,
			// An app that keeps refreshing keeps its registration; an abandoned one goes after 30 days.
			clientRegistrationTTL: 30 * DAY,
			// A Client ID Metadata Document needs the `global_fetch_strictly_public` flag, which would
			// also send every other fetch of the Worker (a user's MCP servers) to the public internet
			// only; until Sparky turns it on, hosts register dynamically (docs/mcp.md).
			clientIdMetadataDocumentEnabled: false,
			onError: ({ code, status, internal }) => {
				if (status >= 500) log.warn("oauth error", { code, status, reason: internal?.reason });
			},
		});
	} catch (error) {
		log.warn("OAuth is off for this origin", { origin, error: (error as Error).message });
		server = null;
	}
	if (servers.size >= MAX_ORIGINS) servers.clear();
	servers.set(origin, server);
	return server;
}

/** The helpers (consent, grants) for `origin`'s server, or null when it has none. */
export function oauthHelpers(env: Env, origin: string): OAuthHelpers | null {
	return authorizationServer(origin)?.getOAuthApi(env) ?? null;
}

/**
 * Registration is anonymous (RFC 7591), so its rate is per caller address: a token bucket in
 * a hub named for the address (`SPARKY_RATE_OAUTH_REGISTER_*`), taken before the library sees
 * the request. Abandoned registrations expire (`clientRegistrationTTL`), which bounds how many
 * there are.
 */
export async function takeRegistrationRate(
	env: Env,
	request: Request,
): Promise<{ ok: true } | { ok: false; retryAfterMs: number }> {
	const address = request.headers.get("CF-Connecting-IP") ?? "local";
	return hubFor(env, `oauth-register:${address}`).takeRate("registrations");
}
