// E2E global setup (Node): builds the web page, starts the page server and a real
// `wrangler dev` (own state dir, known admin token, fast demo model), and creates a token
// for the `agent` user. Tests read them with inject(...).
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ProvidedContext } from "vitest";
import { buildWeb } from "../../../scripts/lib/build-web.mjs";
import { startDevServer } from "../../../scripts/lib/dev-server.mjs";
import { launchChromiumServer } from "./chromium.ts";
import { startPageServer } from "./page-server.ts";

declare module "vitest" {
	export interface ProvidedContext {
		sparkyUrl: string;
		adminToken: string;
		agentToken: string;
		pageUrl: string;
	}
}

interface Project {
	provide<K extends keyof ProvidedContext>(key: K, value: ProvidedContext[K]): void;
}

export default async function setup(project: Project): Promise<() => Promise<void>> {
	const started = Date.now();
	// Fail at once, before starting anything, when Chromium is missing or can't start. The test
	// files share this one (chromium.ts): a launch per file cost more than the tests it served.
	const browser = await launchChromiumServer();
	process.env.SPARKY_E2E_BROWSER_WS = browser.wsEndpoint();
	// `npm test` has built it already (and says so); alone, this suite builds the page itself.
	if (!process.env.SPARKY_WEB_BUILT) await buildWeb({ quiet: true });
	const pages = await startPageServer();
	const adminToken = `e2e_admin_${randomBytes(24).toString("base64url")}`;
	const state = mkdtempSync(join(tmpdir(), "sparky-e2e-"));
	const server = await startDevServer({
		persistTo: state,
		adminToken,
		vars: {
			SPARKY_DEMO_DELAY_MS: "15",
			SPARKY_HTTP_FETCH_ALLOW: pages.host,
			SPARKY_MODEL: "demo",
			SPARKY_RETRY_BASE_SECONDS: "1",
			// Seals MCP server headers (the settings test adds a server with one).
			SPARKY_SECRETS_KEY: randomBytes(32).toString("base64url"),
			// The demo model is free; a price makes the usage panel's figures and budgets real offline
			// (docs/usage.md): $1 per million input tokens, $1,000 per million output tokens, so a
			// call costs cents and a first call's estimate (500 output tokens) is $0.50.
			SPARKY_MODEL_PRICES: JSON.stringify({ demo: { input: 1, output: 1000 } }),
		},
		onLog: process.env.SPARKY_E2E_LOG ? (line) => console.log(`[wrangler] ${line}`) : undefined,
	});
	const res = await fetch(`${server.url}/api/users/agent/tokens`, {
		method: "POST",
		headers: { Authorization: `Bearer ${adminToken}`, "Content-Type": "application/json" },
		body: JSON.stringify({ name: "e2e" }),
	});
	if (!res.ok) throw new Error(`creating the agent token: ${res.status} ${await res.text()}`);
	const { token } = (await res.json()) as { token: string };
	project.provide("sparkyUrl", server.url);
	project.provide("adminToken", adminToken);
	project.provide("agentToken", token);
	project.provide("pageUrl", pages.url);
	console.log(`e2e: page built and wrangler dev up on ${server.url} in ${Date.now() - started} ms`);
	return async () => {
		await server.stop();
		await pages.close();
		await browser.close();
		rmSync(state, { recursive: true, force: true });
	};
}
