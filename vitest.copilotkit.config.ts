import { defineConfig } from "vitest/config";

/**
 * The CopilotKit suite (`npm test` step "copilotkit", or `npx vitest run -c
 * vitest.copilotkit.config.ts`): a small CopilotKit React app (test/copilotkit/app, built by the
 * global setup) with Sparky's AG-UI endpoint as its agent, driven in Debian's Chromium
 * (playwright-core) against one real `wrangler dev`. Node environment, not workerd.
 */
export default defineConfig({
	test: {
		include: ["test/copilotkit/**/*.test.ts"],
		environment: "node",
		globalSetup: ["./test/copilotkit/support/global-setup.ts"],
		// One wrangler dev, one browser.
		fileParallelism: false,
		testTimeout: 45_000,
		expect: { poll: { timeout: 15_000, interval: 50 } },
		hookTimeout: 120_000,
		silent: "passed-only",
	},
});
