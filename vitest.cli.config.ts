import { defineConfig } from "vitest/config";

/**
 * The CLI's end-to-end suite (`npm test` step "cli", or `npx vitest run -c vitest.cli.config.ts`):
 * plain Node, not the workerd pool. test/cli/support/global-setup.ts starts one real `wrangler dev`;
 * each test runs `cli/bin.js` as a child process against it.
 */
export default defineConfig({
	test: {
		include: ["test/cli/**/*.test.ts"],
		environment: "node",
		globalSetup: ["./test/cli/support/global-setup.ts"],
		// The tests mostly wait (on the server, on child processes): run the files side by side.
		maxWorkers: 4,
		// Generous: on a loaded machine each CLI start (a Node process) can take a second or more.
		testTimeout: 120_000,
		hookTimeout: 120_000,
		silent: "passed-only",
	},
});
