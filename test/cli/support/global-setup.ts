// Starts one real `wrangler dev` (schema applied, a known admin token, its own state dir) for
// the whole CLI suite; tests get its address with inject("sparky").
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { ProvidedContext } from "vitest";
import { buildWeb } from "../../../scripts/lib/build-web.mjs";
import { startDevServer } from "../../../scripts/lib/dev-server.mjs";

interface Project {
	provide<K extends keyof ProvidedContext>(key: K, value: ProvidedContext[K]): void;
}

export const ADMIN_TOKEN = "cli-test-admin-token-0123456789abcdefghij";
/** How long the slow page takes (the fetch tool gives up after 10 s). */
const SLOW_MS = 8_000;

export default async function setup(project: Project): Promise<() => Promise<void>> {
	// wrangler.toml serves web/dist as assets; `npm test` builds it first, `npm run test:cli` alone may not have.
	if (!existsSync(resolve(import.meta.dirname, "../../../web/dist/index.html"))) await buildWeb({ quiet: true });
	const persistTo = mkdtempSync(join(tmpdir(), "sparky-cli-test-"));
	// A page that takes SLOW_MS to answer: a task that fetches it is surely running for that long
	// (what the cancel tests need, however loaded the machine is). The agent may fetch it:
	// SPARKY_HTTP_FETCH_ALLOW exempts exactly this host:port from the private-address guard.
	const slow = createServer((_req, res) => {
		const timer = setTimeout(() => res.end("finally"), SLOW_MS);
		res.on("close", () => clearTimeout(timer));
	});
	await new Promise<void>((resolvePromise) => slow.listen(0, "127.0.0.1", resolvePromise));
	const slowAddress = slow.address();
	const slowHost = `127.0.0.1:${typeof slowAddress === "object" && slowAddress ? slowAddress.port : 0}`;
	const server = await startDevServer({
		persistTo,
		adminToken: ADMIN_TOKEN,
		vars: {
			// Answers stream visibly (and quickly).
			SPARKY_DEMO_DELAY_MS: "20",
			SPARKY_RETRY_BASE_SECONDS: "0",
			// Every test shares the admin user: no rate limit in the way.
			SPARKY_RATE_TASKS_BURST: "1000",
			SPARKY_RATE_CHAT_BURST: "1000",
			SPARKY_HTTP_FETCH_ALLOW: slowHost,
			// Webhooks (`tasks add --webhook`): a key to keep the secret with, and a local receiver allowed.
			SPARKY_SECRETS_KEY: "cli-test-secrets-key-0123456789abcdefghijkl",
			SPARKY_WEBHOOK_ALLOW: "127.0.0.1:*",
			// A price for the demo model (it is free): costs and budgets to show (docs/usage.md). A call
			// costs cents; a first call's estimate (500 output tokens) is $0.50.
			SPARKY_MODEL_PRICES: JSON.stringify({ demo: { input: 1, output: 1000 } }),
		},
	});
	project.provide("sparky", { url: server.url, adminToken: ADMIN_TOKEN, slowUrl: `http://${slowHost}/slow` });
	return async () => {
		slow.closeAllConnections();
		slow.close();
		await server.stop();
		rmSync(persistTo, { recursive: true, force: true });
	};
}

declare module "vitest" {
	export interface ProvidedContext {
		sparky: { url: string; adminToken: string; slowUrl: string };
	}
}
