import { defineConfig } from "vitest/config";

/**
 * The AG-UI suite (`npm test` step "ag-ui", or `npx vitest run -c vitest.agui.config.ts`): plain
 * Node, the real `@ag-ui/client` (HttpAgent with its default verification, its SSE parser and
 * `verifyEvents`) against one real `wrangler dev` (test/ag-ui-client/support/global-setup.ts).
 */
export default defineConfig({
	test: {
		include: ["test/ag-ui-client/**/*.test.ts"],
		environment: "node",
		globalSetup: ["./test/ag-ui-client/support/global-setup.ts"],
		setupFiles: ["./test/ag-ui-client/support/warnings.ts"],
		maxWorkers: 2,
		testTimeout: 90_000,
		hookTimeout: 120_000,
		silent: "passed-only",
	},
});
