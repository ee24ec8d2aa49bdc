// An OAuth client for the workerd tests, by hand: dynamic registration, the page's consent
// calls (with the binding cookie), PKCE, the token endpoint, and /mcp over JSON-RPC.
import { exports } from "cloudflare:workers";
import { expect } from "vitest";

/** A parsed JSON answer, read loosely by tests (the assertions check its shape). */
// biome-ignore lint/suspicious/noExplicitAny: test answers are checked by assertions, not types
type Json = any;

export const ORIGIN = "https://sparky.test";
export const REDIRECT = "http://127.0.0.1:9999/callback";

export const send = (url: string, init: RequestInit = {}) => exports.default.fetch(new URL(url, ORIGIN).href, init);

const base64url = (bytes: Uint8Array) =>
	btoa(String.fromCharCode(...bytes))
		.replaceAll("+", "-")
		.replaceAll("/", "_")
		.replace(/=+$/, "");

export async function pkce(): Promise<{ verifier: string; challenge: string }> {
	const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
	const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
	return { verifier, challenge: base64url(new Uint8Array(digest)) };
}

export async function register(redirectUris = [REDIRECT], name = "Test App"): Promise<string> {
	const res = await send("/oauth/register", {
		method: "POST",
		headers: { "content-type": "application/json" },
		body: JSON.stringify({ redirect_uris: redirectUris, client_name: name, token_endpoint_auth_method: "none" }),
	});
	expect(res.status).toBe(201);
	return ((await res.json()) as { client_id: string }).client_id;
}

export function authorizeQuery(params: Record<string, string>): string {
	return `?${new URLSearchParams({ response_type: "code", code_challenge_method: "S256", state: "st-1", ...params })}`;
}

/** The page's first call: the consent to show (and its cookie), or where to redirect. */
export async function startConsent(token: string, query: string, headers: Record<string, string> = {}) {
	const res = await send("/api/oauth/authorize", {
		method: "POST",
		headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...headers },
		body: JSON.stringify({ query }),
	});
	const cookie = res.headers
		.getSetCookie()
		.map((c) => c.split(";")[0])
		.join("; ");
	return { status: res.status, body: (await res.json()) as Json, cookie };
}

export async function decide(
	token: string,
	cookie: string,
	body: Record<string, unknown>,
	headers: Record<string, string> = {},
) {
	const res = await send("/api/oauth/authorize/decision", {
		method: "POST",
		headers: { authorization: `Bearer ${token}`, "content-type": "application/json", cookie, ...headers },
		body: JSON.stringify(body),
	});
	return { status: res.status, body: (await res.json()) as Json };
}

export async function tokenRequest(params: Record<string, string>) {
	const res = await send("/oauth/token", {
		method: "POST",
		headers: { "content-type": "application/x-www-form-urlencoded" },
		body: new URLSearchParams(params).toString(),
	});
	return { status: res.status, body: (await res.json()) as Json };
}

/** Registration, consent approved with `scopes`, and the code: everything before the token request. */
export async function authorized(userToken: string, scopes: string[]) {
	const clientId = await register();
	const { verifier, challenge } = await pkce();
	const started = await startConsent(
		userToken,
		authorizeQuery({ client_id: clientId, redirect_uri: REDIRECT, code_challenge: challenge, scope: scopes.join(" ") }),
	);
	expect(started.status).toBe(200);
	const decided = await decide(userToken, started.cookie, {
		handle: started.body.consent.handle,
		approved: true,
		scopes,
	});
	expect(decided.status).toBe(200);
	const redirect = new URL(decided.body.redirect_to);
	return { clientId, verifier, code: redirect.searchParams.get("code") ?? "", redirect };
}

export async function exchange(a: { clientId: string; verifier: string; code: string }) {
	return tokenRequest({
		grant_type: "authorization_code",
		code: a.code,
		redirect_uri: REDIRECT,
		client_id: a.clientId,
		code_verifier: a.verifier,
	});
}

/** One JSON-RPC call to /mcp with `token` (stateless: no initialize needed for tools/list). */
export async function mcp(token: string | undefined, method: string, params: unknown = {}, origin = ORIGIN) {
	const headers: Record<string, string> = {
		"content-type": "application/json",
		accept: "application/json, text/event-stream",
	};
	if (token) headers.authorization = `Bearer ${token}`;
	const res = await exports.default.fetch(`${origin}/mcp`, {
		method: "POST",
		headers,
		body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
	});
	const text = await res.text();
	return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Json) : {} };
}
