import { defineConfig } from "vitest/config";

/**
 * The import rules' own test (`npm run test:imports`): plain Node, not the workerd pool.
 * test/imports/rules.test.ts runs dependency-cruiser (scripts/depcruise.mjs) as a child process
 * over the tree and over a scratch copy of it that breaks each kind of rule.
 */
export default defineConfig({
	test: {
		include: ["test/imports/**/*.test.ts"],
		environment: "node",
		testTimeout: 60_000,
		hookTimeout: 60_000,
		silent: "passed-only",
	},
});
