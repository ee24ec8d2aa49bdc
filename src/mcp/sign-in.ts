/**
 * OAuth for the servers a user connects, as the API sees it: a registration whose server
 * answered 401 becomes a server that signs in (`signInAtRegistration`), a server can be
 * signed in again (`signInAgain`), and the callback finishes either (`completeSignIn`).
 */
import { agentConfig } from "../config.ts";
import { hubRates, spendRate } from "../deps.ts";
import { conflict, SparkyError } from "../errors.ts";
import { ErrorCode } from "../protocol/index.ts";
import type { McpSignIn, OAuthCallbackQuery } from "../protocol/mcp.ts";
import { getMcpOAuth, putMcpOAuth } from "../storage/mcp-oauth.ts";
import type { McpServerRow } from "../storage/mcp-servers.ts";
import { connectMcp, guardedFetch, McpNeedsAuth, messageOf, Oversize } from "./client.ts";
import { clientFor, type OAuthClient } from "./oauth-client-id.ts";
import { type AuthChallenge, discoverSignIn, type SignInTarget, sameIssuer } from "./oauth-discovery.ts";
import { type FinishedSignIn, finishSignIn, MAX_PENDING_SIGN_INS, startSignIn } from "./oauth-flow.ts";
import { openClient } from "./oauth-tokens.ts";

/** Every OAuth hop (metadata, registration, token endpoint) through the network guard, each answer capped at 1 MiB. */
export function oauthFetch(env: Env, base?: typeof fetch): typeof fetch {
	return guardedFetch(agentConfig(env).fetchAllow, base ?? fetch, new Oversize());
}

/** Discovery that failed, as the API's 422 (`mcp_unreachable`, with the reason). */
function cannotSignIn(url: string, error: unknown): SparkyError {
	const reason = messageOf(error);
	return new SparkyError(
		"unprocessable",
		ErrorCode.mcpUnreachable,
		`${url} wants a sign-in that Sparky can't start: ${reason}`,
		{ url, tried: ["OAuth discovery (protected resource metadata, authorization server metadata)"], reason },
	);
}

export interface PreparedSignIn {
	target: SignInTarget;
	client: OAuthClient;
}

/** Discovery and the client, before anything is stored: a server that can't be signed in to is refused whole. */
export async function prepareSignIn(
	env: Env,
	url: string,
	challenge: AuthChallenge,
	options: { origin: string; fetch?: typeof fetch },
): Promise<PreparedSignIn> {
	const fetchFn = oauthFetch(env, options.fetch);
	try {
		const target = await discoverSignIn(url, challenge, fetchFn);
		return { target, client: await clientFor(target, options.origin, fetchFn) };
	} catch (error) {
		throw cannotSignIn(url, error);
	}
}

/** The pending row a new OAuth server starts with, and its first sign-in. */
export async function signInAtRegistration(
	env: Env,
	server: McpServerRow,
	prepared: PreparedSignIn,
	options: { origin: string; fetch?: typeof fetch; now: number },
): Promise<McpSignIn> {
	const { target, client } = prepared;
	await putMcpOAuth(env.DB, {
		server_id: server.id,
		state: "pending",
		resource: target.resource,
		resource_metadata_url: target.resourceMetadataUrl,
		issuer: target.issuer,
		metadata: JSON.stringify(target.metadata),
		scope: target.scope,
		client: null,
		tokens: null,
		expires_at: null,
		reason: null,
		version: 0,
		signed_in_at: null,
		updated_at: options.now,
	}).run();
	return begin(env, server, target, client, options);
}

/**
 * Signs a server in again (its tokens were refused, or the user wants another account): fresh
 * discovery from what the server says now (a 401's challenge, else the stored metadata URL),
 * Sparky's client there reused when the issuer is the same. Its current tokens stay until the
 * new sign-in finishes. Each one may probe the server, discover its authorization server and
 * register a client there: the user's `mcp` rate is spent first, so no user can make Sparky
 * flood a third party.
 */
export async function signInAgain(
	env: Env,
	server: McpServerRow,
	options: { origin: string; fetch?: typeof fetch; now: number },
): Promise<McpSignIn> {
	await spendRate({ rates: hubRates(env) }, server.user_id, "mcp");
	const stored = await getMcpOAuth(env.DB, server.id);
	const challenge = (await probe(env, server, options.fetch)) ?? {
		resourceMetadataUrl: stored?.resource_metadata_url ?? undefined,
	};
	if (!stored && !(challenge instanceof McpNeedsAuth))
		throw conflict(`MCP server "${server.name}" does not ask for a sign-in (it answered without one)`);
	const fetchFn = oauthFetch(env, options.fetch);
	let target: SignInTarget;
	try {
		target = await discoverSignIn(server.url, challenge, fetchFn);
	} catch (error) {
		throw cannotSignIn(server.url, error);
	}
	let client: OAuthClient | undefined;
	if (stored?.client && sameIssuer(stored.issuer, target.issuer)) client = await openClient(env, server, stored.client);
	try {
		client ??= await clientFor(target, options.origin, fetchFn);
	} catch (error) {
		throw cannotSignIn(server.url, error);
	}
	if (!stored) await signInAtRegistration(env, server, { target, client }, options);
	return begin(env, server, target, client, options);
}

/** What the server says to a request without credentials: its 401 challenge, or undefined when it answers (or is down). */
async function probe(env: Env, server: McpServerRow, base?: typeof fetch): Promise<McpNeedsAuth | undefined> {
	try {
		const client = await connectMcp({ url: server.url, headers: {}, allow: agentConfig(env).fetchAllow, fetch: base });
		await client.close().catch(() => {});
		return undefined;
	} catch (error) {
		return error instanceof McpNeedsAuth ? error : undefined;
	}
}

async function begin(
	env: Env,
	server: McpServerRow,
	target: SignInTarget,
	client: OAuthClient,
	options: { origin: string; fetch?: typeof fetch; now: number },
): Promise<McpSignIn> {
	const started = await startSignIn(env, server, target, {
		origin: options.origin,
		fetch: oauthFetch(env, options.fetch),
		now: options.now,
		client,
	});
	if (!started)
		throw conflict(
			`you have ${MAX_PENDING_SIGN_INS} sign-ins under way, the most at once; finish one or wait for them to expire (10 minutes)`,
			{ limit: MAX_PENDING_SIGN_INS },
		);
	return { authorization_url: started.authorizationUrl, expires_at: started.expiresAt };
}

/** The callback's work: finish the flow its `state` names, spending the flow's user's `mcp` rate. */
export function completeSignIn(
	env: Env,
	query: OAuthCallbackQuery,
	options: {
		fetch?: typeof fetch;
		now: number;
		serverOf: (userId: string, id: string) => Promise<McpServerRow | null>;
	},
): Promise<FinishedSignIn> {
	return finishSignIn(env, query, {
		fetch: oauthFetch(env, options.fetch),
		now: options.now,
		serverOf: options.serverOf,
		spend: (userId) => spendRate({ rates: hubRates(env) }, userId, "mcp"),
	});
}
