import { defineConfig } from "vitest/config";

/**
 * The fault suite (`npm run test:faults`): real `wrangler dev` processes on 127.0.0.1 that
 * get killed, flooded and fed hostile input. Node environment, one file at a time.
 */
export default defineConfig({
	test: {
		include: ["test/faults/**/*.test.ts"],
		environment: "node",
		fileParallelism: false,
		testTimeout: 240_000,
		hookTimeout: 120_000,
	},
});
