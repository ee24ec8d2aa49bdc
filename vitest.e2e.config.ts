import { defineConfig } from "vitest/config";

/**
 * Browser end-to-end tests: Debian's Chromium (playwright-core) against a real `wrangler
 * dev` that global setup starts with the freshly built page. Node environment, not workerd.
 * `npm run test:e2e`, or the `e2e` step of `npm test`.
 */
export default defineConfig({
	test: {
		include: ["test/e2e/**/*.test.ts"],
		environment: "node",
		globalSetup: ["./test/e2e/support/global-setup.ts"],
		// One wrangler dev and one browser at a time: files run one after another.
		fileParallelism: false,
		isolate: false,
		testTimeout: 45_000,
		// Things arrive live: give each `expect.poll` room on a loaded machine.
		expect: { poll: { timeout: 10_000, interval: 50 } },
		hookTimeout: 120_000,
		silent: "passed-only",
	},
});
