// A host connects to Sparky's /mcp with OAuth, end to end on a real wrangler dev: the official
// SDK's OAuth client discovers the authorization server from the 401, registers itself, sends
// the user to the page's consent screen (Debian's Chromium, signed in with the page's own form),
// gets tokens, calls tools, refreshes, and is cut off when the user revokes it (with the CLI).
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { request, type Server } from "node:http";
import { join, resolve } from "node:path";
import {
	discoverAuthorizationServerMetadata,
	exchangeAuthorization,
	UnauthorizedError,
} from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { InvalidGrantError } from "@modelcontextprotocol/sdk/server/auth/errors.js";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callbackServer, launchChromium, MemoryOAuthProvider, signIn } from "./oauth-support.ts";
import { type CallResult, live, newUser } from "./support.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const NODE = existsSync(join(ROOT, "node_modules/.bin/node")) ? join(ROOT, "node_modules/.bin/node") : process.execPath;

function sparky(token: string, args: string[]) {
	const env: NodeJS.ProcessEnv = {};
	for (const [k, v] of Object.entries(process.env)) if (!/^(SPARKY_|FORCE_COLOR$|XDG_CONFIG_HOME$)/.test(k)) env[k] = v;
	Object.assign(env, { NO_COLOR: "1", COLUMNS: "200", SPARKY_URL: live().url, SPARKY_TOKEN: token });
	return new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
		execFile(NODE, [join(ROOT, "cli/bin.js"), ...args], { cwd: ROOT, env, timeout: 60_000 }, (error, stdout, stderr) =>
			done({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
		);
	});
}

let browser: Browser;
let callback: { url: string; hits: URL[]; server: Server };
beforeAll(async () => {
	browser = await launchChromium();
	callback = await callbackServer();
});
afterAll(async () => {
	await browser?.close();
	callback?.server.close();
});

const mcpUrl = () => new URL("/mcp", live().url);

/** A fresh SDK client over a fresh transport that authorizes with `provider`. */
async function connectWith(
	provider: MemoryOAuthProvider,
): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
	const transport = new StreamableHTTPClientTransport(mcpUrl(), { authProvider: provider });
	const client = new Client({ name: "oauth-host", version: "1.0.0" });
	await client.connect(transport);
	return { client, transport };
}

/**
 * Everything up to the tokens: the SDK is refused (401), discovers, registers and sends the
 * user to `/authorize`; the user, signed in, sees the consent screen, unticks `untick`, allows;
 * the browser lands on the host's callback, and the SDK trades the code for tokens.
 */
async function authorizeInBrowser(userToken: string, untick: string[] = []) {
	const { provider, first, code } = await consentInBrowser(userToken, untick);
	await first.finishAuth(code);
	return provider;
}

/** Up to the code the browser brings back (the token request is the caller's). */
async function consentInBrowser(userToken: string, untick: string[] = []) {
	const provider = new MemoryOAuthProvider(callback.url);
	const first = new StreamableHTTPClientTransport(mcpUrl(), { authProvider: provider });
	await expect(new Client({ name: "oauth-host", version: "1.0.0" }).connect(first)).rejects.toThrow(UnauthorizedError);
	const authorizationUrl = provider.authorizationUrl;
	if (!authorizationUrl) throw new Error("the SDK did not send the user to authorize");
	expect(authorizationUrl.origin + authorizationUrl.pathname).toBe(`${live().url}/authorize`);
	expect(authorizationUrl.searchParams.get("code_challenge_method")).toBe("S256");
	expect(authorizationUrl.searchParams.get("resource")).toBe(`${live().url}/mcp`);

	const context = await browser.newContext();
	const page = await context.newPage();
	try {
		await signIn(page, userToken);
		await page.goto(authorizationUrl.href);
		const heading = page.getByRole("heading", { name: /Allow .* to use Sparky/ });
		await heading.waitFor();
		expect(await heading.textContent()).toContain("Sparky OAuth test host");
		expect(await page.locator(".consent-host").textContent()).toBe("127.0.0.1");
		await page.getByText("That is an app on this computer").waitFor();
		const boxes = page.locator("input[name=scope]");
		expect(await boxes.evaluateAll((els) => els.map((e) => (e as unknown as { value: string }).value))).toEqual([
			"tasks:read",
			"tasks:write",
			"approvals:decide",
			"memory:read",
			"memory:write",
		]);
		for (const scope of untick) await page.locator(`input[name=scope][value="${scope}"]`).uncheck();
		const before = callback.hits.length;
		await page.getByRole("button", { name: "Allow" }).click();
		await page.waitForURL((url) => url.href.startsWith(callback.url));
		const landed = callback.hits[before];
		if (!landed) throw new Error("the browser never reached the callback");
		expect(landed.searchParams.get("state")).toBe(authorizationUrl.searchParams.get("state"));
		const code = landed.searchParams.get("code");
		if (!code) throw new Error(`no code in ${landed.href}`);
		return { provider, first, code, authorizationUrl };
	} finally {
		await context.close();
	}
}

describe("a host connects to /mcp with OAuth", () => {
	it("discovers, registers, gets consent in the browser, calls tools, refreshes, and is revoked", async () => {
		const user = await newUser();
		const provider = await authorizeInBrowser(user.token);
		expect(provider.saved?.scope?.split(" ").sort()).toEqual([
			"approvals:decide",
			"memory:read",
			"memory:write",
			"tasks:read",
			"tasks:write",
		]);

		const { client } = await connectWith(provider);
		const { tools } = await client.listTools();
		expect(tools).toHaveLength(8);
		// The SDK checks every structured result against the tool's output schema (Ajv).
		const added = (await client.callTool({
			name: "add_task",
			arguments: { instruction: "What time is it?" },
		})) as CallResult;
		expect(added.isError).toBeFalsy();
		expect(added.structuredContent.task).toMatchObject({ user_id: user.id, status: "queued" });
		const approvals = (await client.callTool({ name: "list_approvals", arguments: {} })) as CallResult;
		expect(approvals.structuredContent).toEqual({ approvals: [] });

		// Refresh: the access token no longer works (here: lost), so the SDK refreshes on the 401 and goes on.
		const firstAccess = provider.saved?.access_token;
		provider.saveTokens({ ...(provider.saved as NonNullable<typeof provider.saved>), access_token: "lost-token-0000" });
		const listed = (await client.callTool({ name: "list_tasks", arguments: {} })) as CallResult;
		expect(listed.structuredContent.tasks).toHaveLength(1);
		const refreshedAccess = provider.saved?.access_token;
		expect(refreshedAccess).toBeTruthy();
		expect(refreshedAccess).not.toBe(firstAccess);
		expect(refreshedAccess).not.toBe("lost-token-0000");

		// The user sees the app and revokes it with the CLI.
		const list = await sparky(user.token, ["apps", "list", "--json"]);
		expect(list.code, list.stderr).toBe(0);
		const apps = JSON.parse(list.stdout).connected_apps as { id: string; client_name: string; scopes: string[] }[];
		expect(apps).toEqual([expect.objectContaining({ client_name: "Sparky OAuth test host" })]);
		const text = await sparky(user.token, ["apps", "ls"]);
		expect(text.stdout).toMatch(/Sparky OAuth test host\s+127\.0\.0\.1\s+tasks:read tasks:write/);
		const revoked = await sparky(user.token, ["apps", "revoke", apps[0]?.id ?? ""]);
		expect(revoked.code, revoked.stderr).toBe(0);

		// The next call is a 401: the access token is gone, the refresh token too, so the SDK
		// can only send the user to consent again.
		const raw = await fetch(mcpUrl(), {
			method: "POST",
			headers: {
				authorization: `Bearer ${refreshedAccess}`,
				"content-type": "application/json",
				accept: "application/json, text/event-stream",
			},
			body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
		});
		expect(raw.status).toBe(401);
		expect(raw.headers.get("www-authenticate")).toContain("resource_metadata=");
		provider.authorizationUrl = undefined;
		await expect(client.callTool({ name: "list_tasks", arguments: {} })).rejects.toThrow(UnauthorizedError);
		expect(provider.saved).toBeUndefined();
		expect(provider.authorizationUrl).toBeDefined();
		await client.close();
		// The user's own API token is untouched.
		const mine = await sparky(user.token, ["apps", "list", "--json"]);
		expect(JSON.parse(mine.stdout).connected_apps).toEqual([]);
	});

	it("scopes the user unticked leave their tools out, and calling one is refused", async () => {
		const user = await newUser();
		const provider = await authorizeInBrowser(user.token, ["tasks:write", "approvals:decide", "memory:write"]);
		expect(provider.saved?.scope).toBe("tasks:read memory:read");
		const { client } = await connectWith(provider);
		const { tools } = await client.listTools();
		expect(tools.map((t) => t.name).sort()).toEqual(["get_task", "list_approvals", "list_tasks", "search_memory"]);
		const refused = (await client.callTool({ name: "add_task", arguments: { instruction: "hi" } })) as CallResult;
		expect(refused.isError).toBe(true);
		expect(JSON.parse(refused.content[0]?.text ?? "{}").error).toMatchObject({ code: "forbidden" });
		await client.close();
	});
});

describe("what Sparky refuses a host (the SDK's own token functions)", () => {
	let metadata: Awaited<ReturnType<typeof discoverAuthorizationServerMetadata>>;
	beforeAll(async () => {
		metadata = await discoverAuthorizationServerMetadata(live().url);
	});
	const tokenArgs = (consent: Awaited<ReturnType<typeof consentInBrowser>>, verifier: string) => ({
		metadata,
		clientInformation: consent.provider.client as NonNullable<MemoryOAuthProvider["client"]>,
		authorizationCode: consent.code,
		codeVerifier: verifier,
		redirectUri: callback.url,
		resource: new URL(`${live().url}/mcp`),
	});

	it("a wrong PKCE verifier, and a replayed code (which also revokes what the first exchange got)", async () => {
		const user = await newUser();
		const wrong = await consentInBrowser(user.token);
		await expect(exchangeAuthorization(live().url, tokenArgs(wrong, "x".repeat(64)))).rejects.toThrow(
			InvalidGrantError,
		);

		const good = await consentInBrowser(user.token);
		const tokens = await exchangeAuthorization(live().url, tokenArgs(good, good.provider.codeVerifier()));
		expect(await mcpStatus(tokens.access_token)).toBe(200);
		await expect(exchangeAuthorization(live().url, tokenArgs(good, good.provider.codeVerifier()))).rejects.toThrow(
			InvalidGrantError,
		);
		expect(await mcpStatus(tokens.access_token)).toBe(401);
	});

	it("a token presented at another resource (the same port under another host name) is refused", async () => {
		const user = await newUser();
		const consent = await consentInBrowser(user.token);
		const tokens = await exchangeAuthorization(live().url, tokenArgs(consent, consent.provider.codeVerifier()));
		expect(await mcpStatus(tokens.access_token)).toBe(200);
		// http://localhost:<port>/mcp is another resource than http://127.0.0.1:<port>/mcp.
		expect(await mcpStatus(tokens.access_token, `localhost:${new URL(live().url).port}`)).toBe(401);
	});

	it("a redirect_uri the host did not register: the page says so and never sends the browser there", async () => {
		const user = await newUser();
		const provider = new MemoryOAuthProvider(callback.url);
		await expect(
			new Client({ name: "oauth-host", version: "1.0.0" }).connect(
				new StreamableHTTPClientTransport(mcpUrl(), { authProvider: provider }),
			),
		).rejects.toThrow(UnauthorizedError);
		const tampered = new URL(provider.authorizationUrl?.href ?? "");
		tampered.searchParams.set("redirect_uri", "http://127.0.0.1:9/elsewhere");
		const context = await browser.newContext();
		const page = await context.newPage();
		try {
			await signIn(page, user.token);
			await page.goto(tampered.href);
			await page.getByRole("heading", { name: "This connection can't go on" }).waitFor();
			expect(await page.getByRole("alert").textContent()).toMatch(/redirect/i);
			expect(new URL(page.url()).pathname).toBe("/authorize");
		} finally {
			await context.close();
		}
	});
});

/** POST tools/list to /mcp with `token`; `host` sends it under another Host name (node:http). */
function mcpStatus(token: string, host?: string): Promise<number> {
	const url = mcpUrl();
	const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" });
	return new Promise((done, fail) => {
		const req = request(
			{
				host: url.hostname,
				port: url.port,
				path: url.pathname,
				method: "POST",
				headers: {
					host: host ?? url.host,
					authorization: `Bearer ${token}`,
					"content-type": "application/json",
					accept: "application/json, text/event-stream",
					"content-length": Buffer.byteLength(body),
				},
			},
			(res) => {
				res.resume();
				res.on("end", () => done(res.statusCode ?? 0));
			},
		);
		req.on("error", fail);
		req.end(body);
	});
}
