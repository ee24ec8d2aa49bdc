// The CopilotKit suite's setup: builds the CopilotKit test app (test/copilotkit/app) into a
// temporary directory and starts one real `wrangler dev` (schema applied, a known admin token,
// its own state dir, the demo model). Tests get both with inject("copilotkit").
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { ProvidedContext } from "vitest";
import { buildWeb } from "../../../scripts/lib/build-web.mjs";
import { startDevServer } from "../../../scripts/lib/dev-server.mjs";
import { launchChromium } from "../../e2e/support/chromium.ts";
import { buildApp } from "./build-app.ts";

interface Project {
	provide<K extends keyof ProvidedContext>(key: K, value: ProvidedContext[K]): void;
}

export const ADMIN_TOKEN = "copilotkit-test-admin-token-0123456789abcdef";

export default async function setup(project: Project): Promise<() => Promise<void>> {
	// Fail at once, before starting anything, when Chromium is missing or can't start.
	await (await launchChromium()).close();
	// wrangler.toml serves web/dist as assets.
	if (!existsSync(resolve(import.meta.dirname, "../../../web/dist/index.html"))) await buildWeb({ quiet: true });
	const appDir = mkdtempSync(join(tmpdir(), "sparky-copilotkit-app-"));
	const persistTo = mkdtempSync(join(tmpdir(), "sparky-copilotkit-test-"));
	const [, server] = await Promise.all([
		buildApp(appDir),
		startDevServer({
			persistTo,
			adminToken: ADMIN_TOKEN,
			vars: {
				// Streams visibly: a test sees the answer grow, even on a busy machine (the page is sampled every 50 ms).
				SPARKY_DEMO_DELAY_MS: "60",
				SPARKY_RETRY_BASE_SECONDS: "0",
				SPARKY_RATE_TASKS_BURST: "1000",
				SPARKY_RATE_CHAT_BURST: "1000",
			},
		}),
	]);
	project.provide("copilotkit", { url: server.url, adminToken: ADMIN_TOKEN, appDir });
	return async () => {
		await server.stop();
		rmSync(persistTo, { recursive: true, force: true });
		rmSync(appDir, { recursive: true, force: true });
	};
}

declare module "vitest" {
	export interface ProvidedContext {
		copilotkit: { url: string; adminToken: string; appDir: string };
	}
}
