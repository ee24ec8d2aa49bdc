// MCP servers that sign in with OAuth (issue #28), end to end: a real `wrangler dev` against an
// MCP server protected by the SDK's own authorization server and bearer middleware
// (oauth-server.ts). The browser's part, the demo provider's auto-consent, is driven with fetch.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listenOn } from "./listening.ts";
import { type OAuthMcpServer, startOAuthMcpServer } from "./oauth-server.ts";
import { api, type Json, live, newUser, runTask } from "./support.ts";

let oauth: OAuthMcpServer;
let trap: Server;
/** What the trap server's 401 and metadata say, set per test. */
let trapAnswer: { challenge: string; resourceMetadata?: unknown } = { challenge: "Bearer" };

beforeAll(async () => {
	oauth = await startOAuthMcpServer(live().oauthPort);
	trap = createServer((req, res) => {
		if (req.url?.startsWith("/.well-known/oauth-protected-resource") && trapAnswer.resourceMetadata) {
			res.setHeader("content-type", "application/json");
			res.end(JSON.stringify(trapAnswer.resourceMetadata));
			return;
		}
		res.statusCode = 401;
		res.setHeader("www-authenticate", trapAnswer.challenge);
		res.end();
	});
	await listenOn(trap, live().trapPort);
});

afterAll(async () => {
	await oauth?.close();
	trap?.closeAllConnections();
	await new Promise((r) => trap?.close(r));
});

/** Opens the authorization URL as a browser would; the demo provider consents at once and redirects back. */
async function consent(authorizationUrl: string): Promise<string> {
	const res = await fetch(authorizationUrl, { redirect: "manual" });
	expect(res.status).toBe(302);
	const location = res.headers.get("location");
	expect(location).toBeTruthy();
	return location as string;
}

/** Follows the redirect to Sparky's callback: its status and page. */
async function callback(url: string): Promise<{ status: number; text: string }> {
	const res = await fetch(url, { redirect: "manual" });
	return { status: res.status, text: await res.text() };
}

/** Registers a server; `whoami` isn't annotated read-only, so approval is off to let runs call it at once. */
async function register(token: string, name: string, url = oauth.url) {
	return api("/api/mcp-servers", { token, body: { name, url, approval: "never" } });
}

/** Registers the OAuth server and signs in: the server as the API then shows it. */
async function signedIn(token: string, name: string): Promise<Json> {
	const created = await register(token, name);
	expect(created.status).toBe(201);
	const done = await callback(await consent(created.body.sign_in.authorization_url));
	expect(done.status).toBe(200);
	return (await api(`/api/mcp-servers/${name}`, { token })).body.mcp_server;
}

const stateOf = (url: string) => new URL(url).searchParams.get("state") as string;

describe("registering an OAuth-protected MCP server", () => {
	it("answers with an authorization URL (PKCE, state, resource), then signs in through the callback", async () => {
		const user = await newUser();
		const created = await register(user.token, "secure");
		expect(created.status).toBe(201);
		expect(created.body.mcp_server.auth).toMatchObject({ type: "oauth", state: "pending", issuer: oauth.issuer });
		const authUrl = new URL(created.body.sign_in.authorization_url);
		expect(authUrl.origin).toBe(new URL(oauth.issuer).origin);
		expect(authUrl.searchParams.get("code_challenge_method")).toBe("S256");
		expect(authUrl.searchParams.get("resource")).toBe(oauth.url);
		expect(authUrl.searchParams.get("redirect_uri")).toBe(`${live().url}/oauth/callback`);
		expect(stateOf(authUrl.href).length).toBeGreaterThanOrEqual(43);
		// Dynamic registration (the server takes no client metadata document over http).
		expect(authUrl.searchParams.get("client_id")).toMatch(/^[\w-]+$/);
		expect(created.text).not.toMatch(/access_token|refresh_token/);

		const done = await callback(await consent(authUrl.href));
		expect(done.status).toBe(200);
		expect(done.text).toContain('data-sign-in="ok"');
		expect(done.text).toContain("secure");

		const listed = await api("/api/mcp-servers", { token: user.token });
		const server = listed.body.mcp_servers[0];
		expect(server.auth).toMatchObject({ type: "oauth", state: "signed_in", reason: null });
		expect(server.auth.expires_at).toBeGreaterThan(Date.now());
		// No token in any answer.
		for (const token of oauth.provider.accessTokens.keys()) expect(listed.text).not.toContain(token);
		for (const token of oauth.provider.refreshTokens.keys()) expect(listed.text).not.toContain(token);

		const tools = await api("/api/mcp-servers/secure/tools", { token: user.token });
		expect(tools.status).toBe(200);
		expect(tools.body.tools.map((t: { name: string }) => t.name)).toEqual(["add", "whoami"]);
	});

	it("a run calls the server's tool with the access token (demo model); the token is in no event", async () => {
		const user = await newUser();
		await signedIn(user.token, "secure");
		const { task, events } = await runTask(user.token, 'Use the secure__whoami tool with {"greeting":"hi"}');
		expect(task.status).toBe("succeeded");
		expect(task.result).toContain("**secure__whoami** returned:");
		expect(task.result).toMatch(/hi, client [\w-]+/);
		for (const token of oauth.provider.accessTokens.keys()) expect(events).not.toContain(token);
		// A second run reuses the tool list kept in D1 (fresh for 5 minutes) and still calls the tool.
		const again = await runTask(user.token, 'Use the secure__add tool with {"a": 2, "b": 40}');
		expect(again.task.result).toContain("42");
		const server = (await api("/api/mcp-servers/secure", { token: user.token })).body.mcp_server;
		expect(server.health).toMatchObject({ state: "ok", last_error: null });
		expect(server.health.tools_listed_at).toBeGreaterThan(0);
	});

	it("signs in the same way to a server on the stateless 2026-07-28 revision; its runs send the token", async () => {
		const user = await newUser();
		const created = await register(user.token, "modern", oauth.modernUrl);
		expect(created.status, created.text).toBe(201);
		expect(created.body.mcp_server.auth).toMatchObject({ type: "oauth", state: "pending", issuer: oauth.issuer });
		const done = await callback(await consent(created.body.sign_in.authorization_url));
		expect(done.status).toBe(200);
		const from = oauth.modernSeen.length;
		const { task, events } = await runTask(user.token, 'Use the modern__whoami tool with {"greeting":"hi"}');
		expect(task.status).toBe("succeeded");
		expect(task.result).toMatch(/hi, client [\w-]+ \(stateless\)/);
		for (const token of oauth.provider.accessTokens.keys()) expect(events).not.toContain(token);
		const sent = oauth.modernSeen.slice(from);
		expect(sent.map((s) => s.method)).toEqual(expect.arrayContaining(["server/discover", "tools/list", "tools/call"]));
		expect(sent.map((s) => s.method)).not.toContain("initialize");
		for (const request of sent) {
			expect(request.protocolVersion).toBe("2026-07-28");
			expect(request.authorization).toMatch(/^Bearer \S+/);
		}
	});

	it("refreshes a token before it expires, and the run goes on with the new one", async () => {
		const user = await newUser();
		oauth.provider.accessTtlSeconds = 120; // inside Sparky's 5-minute margin: refreshed at next use
		try {
			await signedIn(user.token, "secure");
		} finally {
			oauth.provider.accessTtlSeconds = 3600;
		}
		const before = oauth.provider.refreshes;
		const { task } = await runTask(user.token, 'Use the secure__add tool with {"a": 1, "b": 2}');
		expect(task.result).toContain("**secure__add** returned:");
		expect(oauth.provider.refreshes).toBe(before + 1);
		const server = (await api("/api/mcp-servers/secure", { token: user.token })).body.mcp_server;
		expect(server.auth.state).toBe("signed_in");
		// The new token lives an hour: no refresh on the next use.
		expect(server.auth.expires_at).toBeGreaterThan(Date.now() + 50 * 60_000);
	});

	it("a refused refresh leaves the server 'needs sign-in': out of runs with a note, and a re-sign-in fixes it", async () => {
		const user = await newUser();
		oauth.provider.accessTtlSeconds = 120;
		try {
			await signedIn(user.token, "secure");
		} finally {
			oauth.provider.accessTtlSeconds = 3600;
		}
		oauth.provider.refuseRefresh = true;
		let run: Awaited<ReturnType<typeof runTask>>;
		try {
			run = await runTask(user.token, 'Use the secure__add tool with {"a": 1, "b": 2}');
		} finally {
			oauth.provider.refuseRefresh = false;
		}
		expect(run.task.status).toBe("succeeded");
		expect(run.task.result).not.toContain("**secure__add** returned:");
		expect(run.events).toContain("sparky.mcp.servers");
		expect(run.events).toContain("needs_sign_in");
		const server = (await api("/api/mcp-servers/secure", { token: user.token })).body.mcp_server;
		expect(server.auth).toMatchObject({ state: "needs_sign_in" });
		expect(server.auth.reason).toMatch(/refused to refresh/);
		const tools = await api("/api/mcp-servers/secure/tools", { token: user.token });
		expect(tools.status).toBe(409);

		// Sign in again: a new authorization URL, the same flow, signed in.
		const again = await api("/api/mcp-servers/secure/sign-in", { token: user.token, method: "POST" });
		expect(again.status).toBe(200);
		expect((await callback(await consent(again.body.sign_in.authorization_url))).status).toBe(200);
		const fixed = await runTask(user.token, 'Use the secure__add tool with {"a": 20, "b": 22}');
		expect(fixed.task.result).toContain("42");
	});

	it("revoked tokens (the server answers 401 and the refresh is refused): needs sign-in, and the run still succeeds", async () => {
		const user = await newUser();
		await signedIn(user.token, "secure");
		oauth.provider.revokeAll();
		const { task, events } = await runTask(user.token, 'Use the secure__whoami tool with {"greeting":"hi"}');
		expect(task.status).toBe("succeeded");
		expect(events).toContain("needs_sign_in");
		const server = (await api("/api/mcp-servers/secure", { token: user.token })).body.mcp_server;
		expect(server.auth.state).toBe("needs_sign_in");
	});
});

describe("the callback refuses what doesn't belong to a sign-in", () => {
	it("an unknown state, a wrong iss, a replayed code", async () => {
		const user = await newUser();
		// A state nobody issued.
		const unknown = await callback(`${live().url}/oauth/callback?state=${"x".repeat(43)}&code=abc`);
		expect(unknown.status).toBe(400);
		expect(unknown.text).toContain("unknown or was already used");
		// Malformed: no state at all.
		expect((await callback(`${live().url}/oauth/callback?code=abc`)).status).toBe(400);

		// The right state with another issuer's `iss` (a mix-up): refused, and the state is spent.
		const created = await register(user.token, "secure");
		const back = await consent(created.body.sign_in.authorization_url);
		const mixedUp = new URL(back);
		mixedUp.searchParams.set("iss", "https://evil.example/");
		const refused = await callback(mixedUp.href);
		expect(refused.status).toBe(400);
		expect(refused.text).toContain("evil.example");
		expect((await callback(back)).status).toBe(400);
		expect((await api("/api/mcp-servers/secure", { token: user.token })).body.mcp_server.auth.state).toBe("pending");

		// A good sign-in; then its callback again (the same state and code): refused.
		const again = await api("/api/mcp-servers/secure/sign-in", { token: user.token, method: "POST" });
		const good = await consent(again.body.sign_in.authorization_url);
		expect((await callback(good)).status).toBe(200);
		const replay = await callback(good);
		expect(replay.status).toBe(400);
		expect(replay.text).toContain("already used");
		// The old code under a fresh state: the authorization server refuses it (spent, and another PKCE pair).
		const fresh = await api("/api/mcp-servers/secure/sign-in", { token: user.token, method: "POST" });
		const replayed = new URL(good);
		replayed.searchParams.set("state", stateOf(fresh.body.sign_in.authorization_url));
		const spent = await callback(replayed.href);
		expect(spent.status).toBe(502);
		expect(spent.text).toContain("refused the code");
		// The server stays signed in with the good sign-in's tokens.
		expect((await api("/api/mcp-servers/secure", { token: user.token })).body.mcp_server.auth.state).toBe("signed_in");
	});
});

describe("discovery goes through the network guard and checks what it is told", () => {
	it("a resource_metadata URL on a private address is refused (SSRF), nothing is stored", async () => {
		const user = await newUser();
		trapAnswer = { challenge: 'Bearer resource_metadata="http://169.254.169.254/latest/meta-data/"' };
		const refused = await register(user.token, "trap", `http://127.0.0.1:${live().trapPort}/mcp`);
		expect(refused.status).toBe(422);
		expect(refused.body.error.code).toBe("mcp_unreachable");
		expect(refused.body.error.message).toMatch(/169\.254\.169\.254.*link-local/);
		expect((await api("/api/mcp-servers", { token: user.token })).body.mcp_servers).toEqual([]);
	});

	it("metadata for another resource is refused: Sparky won't get a token for another server", async () => {
		const user = await newUser();
		const trapUrl = `http://127.0.0.1:${live().trapPort}/mcp`;
		trapAnswer = {
			challenge: `Bearer resource_metadata="http://127.0.0.1:${live().trapPort}/.well-known/oauth-protected-resource/mcp"`,
			resourceMetadata: { resource: oauth.url, authorization_servers: [oauth.issuer] },
		};
		const refused = await register(user.token, "trap", trapUrl);
		expect(refused.status).toBe(422);
		expect(refused.body.error.message).toContain("won't sign in for another resource");
	});

	it("an authorization server on a private address is refused", async () => {
		const user = await newUser();
		trapAnswer = {
			challenge: `Bearer resource_metadata="http://127.0.0.1:${live().trapPort}/.well-known/oauth-protected-resource/mcp"`,
			resourceMetadata: {
				resource: `http://127.0.0.1:${live().trapPort}/mcp`,
				authorization_servers: ["http://10.1.2.3/"],
			},
		};
		const refused = await register(user.token, "trap", `http://127.0.0.1:${live().trapPort}/mcp`);
		expect(refused.status).toBe(422);
		expect(refused.body.error.message).toMatch(/10\.1\.2\.3.*private/);
	});
});

describe("Sparky's client metadata document", () => {
	it("is public JSON naming the callback", async () => {
		const res = await fetch(`${live().url}/oauth/client-metadata.json`);
		expect(res.status).toBe(200);
		const doc = (await res.json()) as Json;
		expect(doc).toMatchObject({
			client_id: `${live().url}/oauth/client-metadata.json`,
			redirect_uris: [`${live().url}/oauth/callback`],
			token_endpoint_auth_method: "none",
		});
	});
});

const ROOT = resolve(import.meta.dirname, "../..");
const NODE = existsSync(join(ROOT, "node_modules/.bin/node")) ? join(ROOT, "node_modules/.bin/node") : process.execPath;

describe("sparky mcp add / sign-in / list with an OAuth server", () => {
	it("prints the link, waits until the browser signed in, and list shows the state", async () => {
		const user = await newUser();
		const env: NodeJS.ProcessEnv = {};
		for (const [k, v] of Object.entries(process.env))
			if (!/^(SPARKY_|FORCE_COLOR$|XDG_CONFIG_HOME$)/.test(k)) env[k] = v;
		Object.assign(env, { NO_COLOR: "1", COLUMNS: "200", SPARKY_URL: live().url, SPARKY_TOKEN: user.token });
		const child = spawn(NODE, [join(ROOT, "cli/bin.js"), "mcp", "add", "secure", oauth.url, "--approval", "never"], {
			cwd: ROOT,
			env,
		});
		let stdout = "";
		let stderr = "";
		child.stdout.on("data", (c) => (stdout += c));
		child.stderr.on("data", (c) => (stderr += c));
		const exited = new Promise<number>((r) => child.on("exit", (code) => r(code ?? 1)));
		// The link appears; the command keeps waiting until the "browser" (fetch) signs in.
		const deadline = Date.now() + 30_000;
		while (!/http:\/\/\S+\/authorize\S+/.test(stdout)) {
			if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no link: ${stdout}\n${stderr}`);
			await new Promise((r) => setTimeout(r, 100));
		}
		expect(child.exitCode).toBeNull();
		const link = (stdout.match(/http:\/\/\S+\/authorize\S+/) as RegExpMatchArray)[0];
		expect((await callback(await consent(link))).status).toBe(200);
		expect(await exited, stderr).toBe(0);
		expect(stdout).toContain("Signed in to secure");

		oauth.provider.revokeAll();
		await runTask(user.token, 'Use the secure__add tool with {"a": 1, "b": 2}');
		const list = await new Promise<string>((r) => {
			const ls = spawn(NODE, [join(ROOT, "cli/bin.js"), "mcp", "list"], { cwd: ROOT, env });
			let out = "";
			ls.stdout.on("data", (c) => (out += c));
			ls.stderr.on("data", (c) => (out += c));
			ls.on("exit", () => r(out));
		});
		expect(list).toContain("oauth: NEEDS SIGN-IN");
		expect(list).toContain("sparky mcp sign-in secure");
	});
});
