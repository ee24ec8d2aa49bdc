// OAuth for /mcp in workerd, on https://sparky.test: discovery, registration, the consent
// calls, PKCE, tokens bound to the user and to /mcp, refresh, revocation, and what is refused.
import { describe, expect, it } from "vitest";
import { newUser, tokenFor } from "../support/api.ts";
import {
	authorized,
	authorizeQuery,
	decide,
	exchange,
	mcp,
	ORIGIN,
	pkce,
	REDIRECT,
	register,
	send,
	startConsent,
	tokenRequest,
} from "./support.ts";

const toolNames = (body: { result?: { tools: { name: string }[] } }) =>
	(body.result?.tools ?? []).map((t) => t.name).sort();

describe("discovery", () => {
	it("/mcp without a token is a 401 whose challenge points at the resource metadata", async () => {
		const res = await mcp(undefined, "tools/list");
		expect(res.status).toBe(401);
		expect(res.body).toMatchObject({ error: { code: "unauthorized" } });
		const challenge = res.headers.get("www-authenticate") ?? "";
		expect(challenge).toContain(`resource_metadata="${ORIGIN}/.well-known/oauth-protected-resource/mcp"`);
		expect(challenge).toContain('scope="tasks:read tasks:write approvals:decide memory:read memory:write"');
		expect(challenge).not.toContain("invalid_token");
		const bad = await mcp("not-a-token-at-all", "tools/list");
		expect(bad.headers.get("www-authenticate")).toContain('error="invalid_token"');
	});

	it("publishes protected resource and authorization server metadata", async () => {
		const prm = (await (await send("/.well-known/oauth-protected-resource/mcp")).json()) as Record<string, unknown>;
		expect(prm).toMatchObject({ resource: `${ORIGIN}/mcp`, authorization_servers: [ORIGIN] });
		const as = (await (await send("/.well-known/oauth-authorization-server")).json()) as Record<string, unknown>;
		expect(as).toMatchObject({
			issuer: ORIGIN,
			authorization_endpoint: `${ORIGIN}/authorize`,
			token_endpoint: `${ORIGIN}/oauth/token`,
			registration_endpoint: `${ORIGIN}/oauth/register`,
			code_challenge_methods_supported: ["S256"],
		});
		expect(as.scopes_supported).toEqual(expect.arrayContaining(["tasks:read", "approvals:decide"]));
	});
});

describe("consent, tokens and revocation", () => {
	it("an approved app gets a token for its user and its scopes only; refresh works; revoking stops both", async () => {
		const user = await newUser();
		const a = await authorized(user.token, ["tasks:read", "approvals:decide"]);
		expect(a.redirect.origin + a.redirect.pathname).toBe(REDIRECT);
		expect(a.redirect.searchParams.get("state")).toBe("st-1");
		expect(a.redirect.searchParams.get("iss")).toBe(ORIGIN);
		const tokens = await exchange(a);
		expect(tokens.status).toBe(200);
		expect(tokens.body.scope).toBe("tasks:read approvals:decide");
		const listed = await mcp(tokens.body.access_token, "tools/list");
		expect(listed.status).toBe(200);
		expect(toolNames(listed.body)).toEqual(["decide_approval", "get_task", "list_approvals", "list_tasks"]);
		const called = await mcp(tokens.body.access_token, "tools/call", { name: "list_tasks", arguments: {} });
		expect(called.body).toMatchObject({ result: { structuredContent: { tasks: [] } } });
		// An out-of-scope tool is refused, and the token is no Sparky API token.
		const refused = await mcp(tokens.body.access_token, "tools/call", {
			name: "add_task",
			arguments: { instruction: "x" },
		});
		expect(refused.body).toMatchObject({ result: { isError: true } });
		expect(JSON.stringify(refused.body)).toContain("tasks:write");
		expect((await send("/api/me", { headers: { authorization: `Bearer ${tokens.body.access_token}` } })).status).toBe(
			401,
		);

		const refreshed = await tokenRequest({
			grant_type: "refresh_token",
			refresh_token: tokens.body.refresh_token ?? "",
			client_id: a.clientId,
		});
		expect(refreshed.status).toBe(200);
		expect((await mcp(refreshed.body.access_token, "tools/list")).status).toBe(200);

		const apps = (await (
			await send("/api/connected-apps", { headers: { authorization: `Bearer ${user.token}` } })
		).json()) as { connected_apps: { id: string; client_name: string; scopes: string[]; redirect_host: string }[] };
		expect(apps.connected_apps).toEqual([
			expect.objectContaining({
				client_name: "Test App",
				redirect_host: "127.0.0.1",
				scopes: ["tasks:read", "approvals:decide"],
			}),
		]);
		const id = apps.connected_apps[0]?.id ?? "";
		const stranger = await newUser();
		const notYours = await send(`/api/connected-apps/${id}`, {
			method: "DELETE",
			headers: { authorization: `Bearer ${stranger.token}` },
		});
		expect(notYours.status).toBe(404);
		const revoked = await send(`/api/connected-apps/${id}`, {
			method: "DELETE",
			headers: { authorization: `Bearer ${user.token}` },
		});
		expect(revoked.status).toBe(204);
		expect((await mcp(refreshed.body.access_token, "tools/list")).status).toBe(401);
		const again = await tokenRequest({
			grant_type: "refresh_token",
			refresh_token: refreshed.body.refresh_token ?? "",
			client_id: a.clientId,
		});
		expect(again.status).toBe(400);
		expect(again.body.error).toBe("invalid_grant");
	});

	it("denied: the client hears access_denied and no app is connected", async () => {
		const user = await newUser();
		const clientId = await register();
		const { challenge } = await pkce();
		const started = await startConsent(
			user.token,
			authorizeQuery({ client_id: clientId, redirect_uri: REDIRECT, code_challenge: challenge }),
		);
		expect(started.body.consent).toMatchObject({
			client_name: "Test App",
			redirect_host: "127.0.0.1",
			redirect_is_loopback: true,
			// None asked for: all offered, each to untick.
			scopes: ["tasks:read", "tasks:write", "approvals:decide", "memory:read", "memory:write"],
		});
		const denied = await decide(user.token, started.cookie, { handle: started.body.consent.handle, approved: false });
		expect(new URL(denied.body.redirect_to).searchParams.get("error")).toBe("access_denied");
		const apps = await send("/api/connected-apps", { headers: { authorization: `Bearer ${user.token}` } });
		expect(((await apps.json()) as { connected_apps: unknown[] }).connected_apps).toEqual([]);
	});

	it("an app does no more, and lasts no longer, than the token that approved it", async () => {
		const stranger = await newUser();
		const created = await send("/api/tasks", {
			method: "POST",
			headers: { authorization: `Bearer ${stranger.token}`, "content-type": "application/json" },
			body: JSON.stringify({ instruction: "a stranger's errand" }),
		});
		expect(created.status).toBe(201);
		const strangerTask = ((await created.json()) as { task: { id: string } }).task.id;
		const listed = async (accessToken: string) => {
			const called = await mcp(accessToken, "tools/call", { name: "list_tasks", arguments: { limit: 100 } });
			return ((called.body.result?.structuredContent?.tasks ?? []) as { id: string }[]).map((t) => t.id);
		};
		// An admin user with a plain-user token: the app it connects acts as a plain user.
		const admin = await newUser("admin", { role: "user" });
		const limited = (await exchange(await authorized(admin.token, ["tasks:read"]))).body.access_token;
		expect(await listed(limited)).not.toContain(strangerTask);
		// The same user's admin token connects an admin app, which does see it.
		const { token: adminToken } = await tokenFor(admin.id, { role: "admin" });
		const full = (await exchange(await authorized(adminToken, ["tasks:read"]))).body.access_token;
		expect(await listed(full)).toContain(strangerTask);
		// Revoking the approving token ends the app's access; the other app goes on.
		const revoked = await send(`/api/tokens/${admin.tokenId}`, {
			method: "DELETE",
			headers: { authorization: `Bearer ${admin.token}` },
		});
		expect(revoked.status).toBe(200);
		expect((await mcp(limited, "tools/list")).status).toBe(401);
		expect((await mcp(full, "tools/list")).status).toBe(200);
	});

	it("consents begin at the apps rate (each is a stored transaction): past the burst a 429, before any is stored", async () => {
		const user = await newUser();
		const clientId = await register();
		const { challenge } = await pkce();
		const query = authorizeQuery({ client_id: clientId, redirect_uri: REDIRECT, code_challenge: challenge });
		const statuses: number[] = [];
		for (let i = 0; i < 12; i++) statuses.push((await startConsent(user.token, query)).status);
		// SPARKY_RATE_APPS_BURST: 10, refilled one a minute here (vitest.config.ts).
		expect(statuses.slice(0, 10)).toEqual(Array(10).fill(200));
		expect(statuses.slice(10)).toEqual([429, 429]);
	});

	it("Sparky API tokens still work on /mcp, with every tool", async () => {
		const user = await newUser();
		const listed = await mcp(user.token, "tools/list");
		expect(listed.status).toBe(200);
		expect(toolNames(listed.body)).toHaveLength(8);
	});
});

describe("what is refused", () => {
	it("a wrong or absent PKCE verifier, and a replayed code (which revokes the grant)", async () => {
		const user = await newUser();
		const wrong = await authorized(user.token, ["tasks:read"]);
		const badVerifier = await exchange({ ...wrong, verifier: (await pkce()).verifier });
		expect(badVerifier.status).toBe(400);
		expect(badVerifier.body.error).toBe("invalid_grant");
		const absent = await authorized(user.token, ["tasks:read"]);
		const noVerifier = await tokenRequest({
			grant_type: "authorization_code",
			code: absent.code,
			redirect_uri: REDIRECT,
			client_id: absent.clientId,
		});
		expect(noVerifier.status).toBe(400);
		expect(["invalid_grant", "invalid_request"]).toContain(noVerifier.body.error);

		const good = await authorized(user.token, ["tasks:read"]);
		const first = await exchange(good);
		expect(first.status).toBe(200);
		const replay = await exchange(good);
		expect(replay.status).toBe(400);
		expect(replay.body.error).toBe("invalid_grant");
		expect((await mcp(first.body.access_token, "tools/list")).status).toBe(401);
	});

	it("a redirect_uri that was not registered is refused on the page, never redirected to", async () => {
		const user = await newUser();
		const clientId = await register();
		const { challenge } = await pkce();
		const started = await startConsent(
			user.token,
			authorizeQuery({ client_id: clientId, redirect_uri: "https://evil.example/cb", code_challenge: challenge }),
		);
		expect(started.status).toBe(400);
		expect(started.body).toMatchObject({ error: { code: "validation_failed" } });
		expect(JSON.stringify(started.body)).not.toContain("redirect_to");
	});

	it("a token for another resource: asked for at authorize, or presented at another origin's /mcp", async () => {
		const user = await newUser();
		const clientId = await register();
		const { challenge } = await pkce();
		const other = await startConsent(
			user.token,
			authorizeQuery({
				client_id: clientId,
				redirect_uri: REDIRECT,
				code_challenge: challenge,
				resource: "https://other.example/mcp",
			}),
		);
		expect(new URL(other.body.redirect_to).searchParams.get("error")).toBe("invalid_target");
		const a = await authorized(user.token, ["tasks:read"]);
		const tokens = await exchange(a);
		expect((await mcp(tokens.body.access_token, "tools/list")).status).toBe(200);
		// The same token at another origin's /mcp: a different resource, so it is not accepted there.
		const elsewhere = await mcp(tokens.body.access_token, "tools/list", {}, "https://elsewhere.test");
		expect(elsewhere.status).toBe(401);
	});

	it("the decision needs the browser's cookie, the page's origin and a signed-in user, and works once", async () => {
		const user = await newUser();
		const clientId = await register();
		const { challenge } = await pkce();
		const query = authorizeQuery({ client_id: clientId, redirect_uri: REDIRECT, code_challenge: challenge });
		const started = await startConsent(user.token, query);
		const handle = started.body.consent.handle;
		const approve = { handle, approved: true, scopes: ["tasks:read"] };
		expect((await decide(user.token, "", approve)).status).toBe(400);
		expect((await decide(user.token, started.cookie, approve, { "sec-fetch-site": "cross-site" })).status).toBe(403);
		const anonymous = await send("/api/oauth/authorize/decision", {
			method: "POST",
			headers: { "content-type": "application/json", cookie: started.cookie },
			body: JSON.stringify(approve),
		});
		expect(anonymous.status).toBe(401);
		expect((await decide(user.token, started.cookie, { ...approve, scopes: ["tasks:everything"] })).status).toBe(400);
		expect((await decide(user.token, started.cookie, approve)).status).toBe(200);
		expect((await decide(user.token, started.cookie, approve)).status).toBe(400);
	});
});
