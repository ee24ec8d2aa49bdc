// The OAuth client's pieces in workerd (issue #28): the callback's state (unknown, single-use,
// expiring), RFC 9207's `iss`, sealed tokens, refresh before expiry, "needs sign-in" in a run and
// in the API. The whole flow against the SDK's real authorization server is test/mcp-live/oauth.test.ts.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { checkIssuer, finishSignIn, SIGN_IN_TTL_MS, SignInRefused, sha256Base64url } from "../../src/mcp/oauth-flow.ts";
import {
	dueForRefresh,
	NeedsSignIn,
	oauthAuthorization,
	openTokens,
	REFRESH_MARGIN_MS,
	sealTokens,
} from "../../src/mcp/oauth-tokens.ts";
import { freshFor, freshTools, MCP_TOOLS_DEFAULT_TTL_MS } from "../../src/mcp/tool-cache.ts";
import { loadMcpTools, unavailableServersNote } from "../../src/mcp/tools.ts";
import type { McpServer } from "../../src/protocol/mcp.ts";
import { getMcpOAuth, insertMcpOAuthFlow, type McpOAuthRow, putMcpOAuth } from "../../src/storage/mcp-oauth.ts";
import { getMcpServer, type McpServerRow } from "../../src/storage/mcp-servers.ts";
import { api, json, newUser } from "../support/api.ts";

const METADATA = {
	issuer: "https://auth.example.com/",
	authorization_endpoint: "https://auth.example.com/authorize",
	token_endpoint: "https://auth.example.com/token",
	response_types_supported: ["code"],
	code_challenge_methods_supported: ["S256"],
};

/** A user with one registered (unverified) server, as stored. */
async function userWithServer(name = "secure"): Promise<{ user: { id: string; token: string }; row: McpServerRow }> {
	const user = await newUser();
	const res = await api("/api/mcp-servers", {
		token: user.token,
		body: { name, url: `https://${name}.example.com/mcp`, verify: false },
	});
	expect(res.status).toBe(201);
	return { user, row: (await getMcpServer(env.DB, user.id, name)) as McpServerRow };
}

async function signIn(row: McpServerRow, overrides: Partial<McpOAuthRow> = {}): Promise<McpOAuthRow> {
	const now = Date.now();
	await putMcpOAuth(env.DB, {
		server_id: row.id,
		state: "signed_in",
		resource: row.url,
		resource_metadata_url: null,
		issuer: METADATA.issuer,
		metadata: JSON.stringify(METADATA),
		scope: null,
		client: null,
		tokens: await sealTokens(env, row, {
			access_token: "at-SECRET-1",
			token_type: "bearer",
			refresh_token: "rt-SECRET-1",
		}),
		expires_at: now + 3600_000,
		reason: null,
		version: 0,
		signed_in_at: now,
		updated_at: now,
		...overrides,
	}).run();
	return (await getMcpOAuth(env.DB, row.id)) as McpOAuthRow;
}

/** A fetch that records where it was sent and refuses to go anywhere. */
function recordingFetch(answer?: () => Response): { fetch: typeof fetch; urls: string[] } {
	const urls: string[] = [];
	return {
		urls,
		fetch: async (input) => {
			urls.push(input instanceof Request ? input.url : String(input));
			if (answer) return answer();
			throw new TypeError("no network here");
		},
	};
}

const finishDeps = (fetchFn: typeof fetch, now = Date.now()) => ({
	fetch: fetchFn,
	now,
	serverOf: async (userId: string, id: string) =>
		env.DB.prepare("SELECT * FROM mcp_servers WHERE user_id = ? AND id = ?").bind(userId, id).first<McpServerRow>(),
	spend: async () => {},
});

describe("the callback's state", () => {
	it("an unknown state is refused before anything is fetched", async () => {
		const net = recordingFetch();
		const refused = await finishSignIn(env, { state: "x".repeat(43), code: "c" }, finishDeps(net.fetch)).catch(
			(e) => e,
		);
		expect(refused).toBeInstanceOf(SignInRefused);
		expect(refused.code).toBe("unknown_state");
		expect(net.urls).toEqual([]);
	});

	it("a state works once, and not after it expired", async () => {
		const { row, user } = await userWithServer();
		const now = Date.now();
		const state = "s".repeat(43);
		const flow = {
			state_hash: await sha256Base64url(state),
			user_id: user.id,
			server_id: row.id,
			secret: "v1.not.opened",
			redirect_uri: "https://sparky.test/oauth/callback",
			created_at: now - SIGN_IN_TTL_MS - 1,
			expires_at: now - 1,
		};
		expect(await insertMcpOAuthFlow(env.DB, { ...flow, created_at: now - 1 }, 5)).toBe(true);
		const net = recordingFetch();
		const expired = await finishSignIn(env, { state, code: "c" }, finishDeps(net.fetch, now)).catch((e) => e);
		expect(expired.code).toBe("expired");
		// Taken once: the same state again is unknown.
		const again = await finishSignIn(env, { state, code: "c" }, finishDeps(net.fetch, now)).catch((e) => e);
		expect(again.code).toBe("unknown_state");
		expect(net.urls).toEqual([]);
	});

	it("starting a sign-in again spends the user's mcp rate first: past it, a 429", async () => {
		const { user } = await userWithServer("again");
		const statuses: number[] = [];
		for (let i = 0; i < 22; i++)
			statuses.push((await api("/api/mcp-servers/again/sign-in", { token: user.token, method: "POST" })).status);
		// The burst is 20, one spent registering the server; refilled one a minute here (vitest.config.ts).
		expect(statuses.slice(0, 19)).not.toContain(429);
		expect(statuses.slice(19)).toEqual([429, 429, 429]);
	});

	it("caps the sign-ins one user has under way; expired ones don't count", async () => {
		const { row, user } = await userWithServer();
		const now = Date.now();
		const flow = (i: number, expires: number) => ({
			state_hash: `hash-${user.id}-${i}`,
			user_id: user.id,
			server_id: row.id,
			secret: "v1.x.y",
			redirect_uri: "https://sparky.test/oauth/callback",
			created_at: now,
			expires_at: expires,
		});
		for (let i = 0; i < 2; i++) expect(await insertMcpOAuthFlow(env.DB, flow(i, now + 60_000), 2)).toBe(true);
		expect(await insertMcpOAuthFlow(env.DB, flow(2, now + 60_000), 2)).toBe(false);
		await env.DB.prepare("UPDATE mcp_oauth_flows SET expires_at = ? WHERE user_id = ?").bind(now, user.id).run();
		expect(await insertMcpOAuthFlow(env.DB, flow(3, now + 60_000), 2)).toBe(true);
	});
});

describe("iss (RFC 9207)", () => {
	it("must name the issuer the sign-in began at; a server that promises iss must send it", () => {
		expect(() => checkIssuer("https://auth.example.com", "https://auth.example.com/", {})).not.toThrow();
		expect(() => checkIssuer(undefined, "https://auth.example.com/", {})).not.toThrow();
		const mixUp = (() => {
			try {
				checkIssuer("https://evil.example/", "https://auth.example.com/", {});
			} catch (error) {
				return error as SignInRefused;
			}
		})();
		expect(mixUp?.code).toBe("iss_mismatch");
		expect(() =>
			checkIssuer(undefined, "https://auth.example.com/", { authorization_response_iss_parameter_supported: true }),
		).toThrow(/lacks the iss/);
	});
});

describe("tokens at rest", () => {
	it("are sealed: not in the row in plain text, and a row's tokens don't open for another server", async () => {
		const { row } = await userWithServer("one");
		const { row: other } = await userWithServer("two");
		const oauth = await signIn(row);
		expect(oauth.tokens).toMatch(/^v1\.[\w-]+\.[\w-]+$/);
		expect(oauth.tokens).not.toContain("SECRET");
		expect((await openTokens(env, row, oauth.tokens as string)).access_token).toBe("at-SECRET-1");
		await expect(openTokens(env, other, oauth.tokens as string)).rejects.toThrow();
	});

	it("are never in the API's answers; the API shows the state", async () => {
		const { row, user } = await userWithServer();
		await signIn(row);
		const res = await api("/api/mcp-servers/secure", { token: user.token });
		const text = await res.text();
		expect(text).not.toContain("SECRET");
		const body = JSON.parse(text) as { mcp_server: McpServer };
		expect(body.mcp_server.auth).toMatchObject({ type: "oauth", state: "signed_in", issuer: METADATA.issuer });
	});
});

describe("refresh before expiry", () => {
	it("is due within the margin, not before", () => {
		const now = 1_000_000_000;
		expect(dueForRefresh(null, now)).toBe(false);
		expect(dueForRefresh(now + REFRESH_MARGIN_MS + 1, now)).toBe(false);
		expect(dueForRefresh(now + REFRESH_MARGIN_MS, now)).toBe(true);
		expect(dueForRefresh(now - 1, now)).toBe(true);
	});

	it("a token far from expiry is used as it is: nothing is fetched", async () => {
		const { row } = await userWithServer();
		const oauth = await signIn(row);
		const net = recordingFetch();
		expect(await oauthAuthorization(env, row, oauth, { fetch: net.fetch })).toEqual({
			Authorization: "Bearer at-SECRET-1",
		});
		expect(net.urls).toEqual([]);
	});

	it("a token about to expire goes to the token endpoint first; a refusal there marks the server 'needs sign-in'", async () => {
		const { row } = await userWithServer();
		const { sealClient } = await import("../../src/mcp/oauth-tokens.ts");
		const oauth = await signIn(row, {
			expires_at: Date.now() + 60_000,
			client: await sealClient(env, row, { client_id: "sparky-client" }),
		});
		const net = recordingFetch(() => Response.json({ error: "invalid_grant" }, { status: 400 }));
		const refused = await oauthAuthorization(env, row, oauth, { fetch: net.fetch }).catch((e) => e);
		expect(net.urls).toEqual([METADATA.token_endpoint]);
		expect(refused).toBeInstanceOf(NeedsSignIn);
		const after = (await getMcpOAuth(env.DB, row.id)) as McpOAuthRow;
		expect(after).toMatchObject({ state: "needs_sign_in", tokens: null });
		expect(after.reason).toMatch(/refused to refresh.*invalid_grant/);
	});

	it("a token endpoint that is down keeps the sign-in and the unexpired token", async () => {
		const { row } = await userWithServer();
		const { sealClient } = await import("../../src/mcp/oauth-tokens.ts");
		const oauth = await signIn(row, {
			expires_at: Date.now() + 60_000,
			client: await sealClient(env, row, { client_id: "sparky-client" }),
		});
		const net = recordingFetch();
		expect(await oauthAuthorization(env, row, oauth, { fetch: net.fetch })).toEqual({
			Authorization: "Bearer at-SECRET-1",
		});
		expect(net.urls).toEqual([METADATA.token_endpoint]);
		expect((await getMcpOAuth(env.DB, row.id))?.state).toBe("signed_in");
	});
});

describe("a server that needs sign-in", () => {
	it("is left out of a run without a connection, with a note for the model", async () => {
		const { row, user } = await userWithServer();
		await signIn(row, { state: "needs_sign_in", tokens: null, reason: "the authorization server refused" });
		const net = recordingFetch();
		const run = await loadMcpTools(env, user.id, { signal: new AbortController().signal, fetch: net.fetch });
		expect(run.tools).toEqual({});
		expect(run.needsSignIn).toEqual([{ server: "secure", reason: "the authorization server refused" }]);
		expect(run.unavailable).toEqual([]);
		expect(net.urls).toEqual([]);
		const note = unavailableServersNote(run.unavailable, run.partial, run.needsSignIn);
		expect(note).toContain('need the user to sign in again, so their tools are missing from this run: "secure"');
		const listed = await json<{ mcp_servers: McpServer[] }>(api("/api/mcp-servers", { token: user.token }));
		expect(listed.mcp_servers[0]?.auth).toMatchObject({
			state: "needs_sign_in",
			reason: "the authorization server refused",
		});
	});
});

describe("the tool list kept between runs", () => {
	it("honours the server's ttlMs, else the default, capped at a day", () => {
		expect(freshFor(undefined)).toBe(MCP_TOOLS_DEFAULT_TTL_MS);
		expect(freshFor(0)).toBe(0);
		expect(freshFor(1234)).toBe(1234);
		expect(freshFor(10 * 24 * 3600_000)).toBe(24 * 3600_000);
	});

	it("is used while fresh, and only then", () => {
		const tools = JSON.stringify([{ name: "a", inputSchema: { type: "object" } }]);
		const status = {
			server_id: "x",
			tools,
			listed_at: 1,
			fresh_until: 100,
			health: "ok" as const,
			last_error: null,
			last_error_at: null,
			last_ok_at: 1,
		};
		expect(freshTools(status, 99)?.map((t) => t.name)).toEqual(["a"]);
		expect(freshTools(status, 100)).toBeUndefined();
		expect(freshTools({ ...status, tools: null }, 1)).toBeUndefined();
	});
});
