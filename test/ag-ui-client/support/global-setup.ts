// Starts one real `wrangler dev` (schema applied, a known admin token, its own state dir) for the
// AG-UI suite; tests get its address with inject("agui").
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { ProvidedContext } from "vitest";
import { buildWeb } from "../../../scripts/lib/build-web.mjs";
import { startDevServer } from "../../../scripts/lib/dev-server.mjs";

interface Project {
	provide<K extends keyof ProvidedContext>(key: K, value: ProvidedContext[K]): void;
}

export const ADMIN_TOKEN = "agui-test-admin-token-0123456789abcdefghij";

export default async function setup(project: Project): Promise<() => Promise<void>> {
	// wrangler.toml serves web/dist as assets.
	if (!existsSync(resolve(import.meta.dirname, "../../../web/dist/index.html"))) await buildWeb({ quiet: true });
	const persistTo = mkdtempSync(join(tmpdir(), "sparky-agui-test-"));
	const server = await startDevServer({
		persistTo,
		adminToken: ADMIN_TOKEN,
		vars: {
			// Streams visibly, so a test can cut a stream mid-run.
			SPARKY_DEMO_DELAY_MS: "15",
			SPARKY_RETRY_BASE_SECONDS: "0",
			SPARKY_RATE_TASKS_BURST: "1000",
			SPARKY_RATE_CHAT_BURST: "1000",
		},
	});
	project.provide("agui", { url: server.url, adminToken: ADMIN_TOKEN });
	return async () => {
		await server.stop();
		rmSync(persistTo, { recursive: true, force: true });
	};
}

declare module "vitest" {
	export interface ProvidedContext {
		agui: { url: string; adminToken: string };
	}
}
