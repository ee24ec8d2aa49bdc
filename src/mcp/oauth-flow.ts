/**
 * Signing a server in: the authorization code flow with PKCE (OAuth 2.1), through the SDK's
 * `startAuthorization` and `exchangeAuthorization`. `startSignIn` makes the authorization URL
 * the user opens and records the flow under the SHA-256 of an unguessable `state`;
 * `finishSignIn` takes the flow back once (single-use, expiring), checks `iss` (RFC 9207),
 * trades the code for tokens and stores them sealed.
 */
import { exchangeAuthorization, startAuthorization } from "@modelcontextprotocol/sdk/client/auth.js";
import { OAuthError } from "@modelcontextprotocol/sdk/server/auth/errors.js";
import { type AuthorizationServerMetadata, OAuthMetadataSchema } from "@modelcontextprotocol/sdk/shared/auth.js";
import { z } from "zod";
import { base64url } from "../protocol/ids.ts";
import type { OAuthCallbackQuery } from "../protocol/mcp.ts";
import { dropMcpOAuthFlows, insertMcpOAuthFlow, putMcpOAuth, takeMcpOAuthFlow } from "../storage/mcp-oauth.ts";
import { forgetMcpTools } from "../storage/mcp-server-status.ts";
import type { McpServerRow } from "../storage/mcp-servers.ts";
import { messageOf } from "./client.ts";
import { callbackUrl, clientFor, type OAuthClient, OAuthClientSchema } from "./oauth-client-id.ts";
import { type SignInTarget, sameIssuer } from "./oauth-discovery.ts";
import { expiryOf, openFlow, StoredTokensSchema, sealClient, sealFlow, sealTokens } from "./oauth-tokens.ts";

/** A sign-in not finished in this time is gone (the user starts another). */
export const SIGN_IN_TTL_MS = 10 * 60_000;
/** Sign-ins one user may have under way at once. */
export const MAX_PENDING_SIGN_INS = 5;

/** What a flow keeps sealed until the browser comes back: the PKCE verifier, the client, where it signs in. */
const FlowSecretSchema = z.object({
	verifier: z.string().min(43).max(128),
	client: OAuthClientSchema,
	resource: z.string().nullable(),
	resourceMetadataUrl: z.string().nullable(),
	issuer: z.string(),
	metadata: z.unknown(),
	scope: z.string().nullable(),
});

/** A sign-in that can't go on (unknown or used state, expired, wrong `iss`, refused code): safe to show. */
export class SignInRefused extends Error {
	constructor(
		readonly code: "unknown_state" | "expired" | "iss_mismatch" | "denied" | "exchange_failed" | "gone",
		message: string,
		readonly serverId?: string,
	) {
		super(message);
		this.name = "SignInRefused";
	}
}

export async function sha256Base64url(text: string): Promise<string> {
	return base64url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text))));
}

export interface StartedSignIn {
	authorizationUrl: string;
	expiresAt: number;
}

/**
 * Starts a sign-in of `server` at `target`: the client (reused when `client` is Sparky's at the
 * same issuer), the authorization URL with PKCE, `state` and `resource`, and the flow stored.
 * False from `insert` (the user's cap of pending sign-ins) is the caller's 409.
 */
export async function startSignIn(
	env: Env,
	server: McpServerRow,
	target: SignInTarget,
	options: { origin: string; fetch: typeof fetch; now: number; client?: OAuthClient },
): Promise<StartedSignIn | null> {
	const client = options.client ?? (await clientFor(target, options.origin, options.fetch));
	const state = base64url(crypto.getRandomValues(new Uint8Array(32)));
	const redirectUri = callbackUrl(options.origin);
	const { authorizationUrl, codeVerifier } = await startAuthorization(target.issuer, {
		metadata: target.metadata,
		clientInformation: client,
		redirectUrl: redirectUri,
		scope: target.scope ?? undefined,
		state,
		resource: target.resource ?? undefined,
	});
	const expiresAt = options.now + SIGN_IN_TTL_MS;
	const secret = FlowSecretSchema.parse({ verifier: codeVerifier, client, ...target });
	const inserted = await insertMcpOAuthFlow(
		env.DB,
		{
			state_hash: await sha256Base64url(state),
			user_id: server.user_id,
			server_id: server.id,
			secret: await sealFlow(env, server, secret),
			redirect_uri: redirectUri,
			created_at: options.now,
			expires_at: expiresAt,
		},
		MAX_PENDING_SIGN_INS,
	);
	return inserted ? { authorizationUrl: authorizationUrl.href, expiresAt } : null;
}

/** The server a callback signed in (for the result page). */
export interface FinishedSignIn {
	server: McpServerRow;
}

/**
 * Finishes a sign-in from the authorization server's redirect. The flow is taken (deleted)
 * first, so a state, and the code that came with it, works once; then the checks, then the
 * code is traded for tokens at the token endpoint (through `fetchFn`, the network guard).
 */
export async function finishSignIn(
	env: Env,
	query: OAuthCallbackQuery,
	deps: {
		fetch: typeof fetch;
		now: number;
		serverOf: (userId: string, serverId: string) => Promise<McpServerRow | null>;
		/** Spends the user's rate before the token endpoint is called. */
		spend: (userId: string) => Promise<void>;
	},
): Promise<FinishedSignIn> {
	const flow = await takeMcpOAuthFlow(env.DB, await sha256Base64url(query.state));
	if (!flow) throw new SignInRefused("unknown_state", "this sign-in link is unknown or was already used");
	if (flow.expires_at <= deps.now)
		throw new SignInRefused("expired", "this sign-in expired; start it again from Sparky", flow.server_id);
	const server = await deps.serverOf(flow.user_id, flow.server_id);
	if (!server) throw new SignInRefused("gone", "the MCP server of this sign-in was removed");
	await deps.spend(flow.user_id);
	const secret = FlowSecretSchema.parse(await openFlow(env, server, flow.secret));
	const metadata = OAuthMetadataSchema.parse(secret.metadata) as AuthorizationServerMetadata;
	checkIssuer(query.iss, secret.issuer, metadata, server.id);
	if (query.error) {
		const said = query.error_description ? `: ${query.error_description.slice(0, 200)}` : "";
		throw new SignInRefused("denied", `the authorization server said ${query.error}${said}`, server.id);
	}
	if (!query.code) throw new SignInRefused("denied", "the authorization server sent no code", server.id);
	let answer: Awaited<ReturnType<typeof exchangeAuthorization>>;
	try {
		answer = await exchangeAuthorization(secret.issuer, {
			metadata,
			clientInformation: secret.client,
			authorizationCode: query.code,
			codeVerifier: secret.verifier,
			redirectUri: flow.redirect_uri,
			resource: secret.resource ?? undefined,
			fetchFn: deps.fetch,
		});
	} catch (error) {
		const why = error instanceof OAuthError ? `${error.errorCode}: ${error.message}` : messageOf(error);
		throw new SignInRefused("exchange_failed", `the authorization server refused the code (${why})`, server.id);
	}
	const tokens = StoredTokensSchema.parse(answer);
	await env.DB.batch([
		putMcpOAuth(env.DB, {
			server_id: server.id,
			state: "signed_in",
			resource: secret.resource,
			resource_metadata_url: secret.resourceMetadataUrl,
			issuer: secret.issuer,
			metadata: JSON.stringify(metadata),
			scope: answer.scope ?? secret.scope,
			client: await sealClient(env, server, secret.client),
			tokens: await sealTokens(env, server, tokens),
			expires_at: expiryOf(answer.expires_in, deps.now),
			reason: null,
			version: 0,
			signed_in_at: deps.now,
			updated_at: deps.now,
		}),
		// Other sign-ins of this server started before are moot now; its tool list may differ signed in.
		dropMcpOAuthFlows(env.DB, server.id),
		forgetMcpTools(env.DB, server.id),
	]);
	return { server };
}

/**
 * RFC 9207: an `iss` in the answer must be the issuer the flow started at (a mix-up attack
 * sends another server's code here); a server that says it always sends `iss` must have sent it.
 */
export function checkIssuer(
	iss: string | undefined,
	issuer: string,
	metadata: Record<string, unknown>,
	serverId?: string,
): void {
	if (iss === undefined) {
		if (metadata.authorization_response_iss_parameter_supported === true)
			throw new SignInRefused("iss_mismatch", "the authorization server's answer lacks the iss it promised", serverId);
		return;
	}
	if (!sameIssuer(iss, issuer))
		throw new SignInRefused(
			"iss_mismatch",
			`the answer came from issuer ${iss}, not ${issuer} where the sign-in began`,
			serverId,
		);
}
