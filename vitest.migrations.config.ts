import { defineConfig } from "vitest/config";

/**
 * D1 migrations (issue #32, `npm run test:migrations`): plain Node (node:sqlite), not the workerd
 * pool. test/migrations/node/d1.test.mjs proves schema.sql equals the migrations, upgrades a
 * database made by every earlier schema.sql, and runs `npm run migrate` (wrangler) once against
 * a local D1. The hub layouts' test (test/migrations/hub-layout.test.ts) runs in the workerd pool.
 */
export default defineConfig({
	test: {
		include: ["test/migrations/node/**/*.test.mjs"],
		environment: "node",
		testTimeout: 60_000,
		silent: "passed-only",
	},
});
