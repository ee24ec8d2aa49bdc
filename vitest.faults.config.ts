import { defineConfig } from "vitest/config";

/**
 * The fault suite (`npm run test:faults`): real `wrangler dev` processes on 127.0.0.1 that
 * get killed, flooded and fed hostile input. Node environment. Each file has its own server
 * (own port, state directory and settings), so two files run side by side: the suite mostly
 * waits (leases, restarts, slow servers). No assertion here is a timing bound.
 */
export default defineConfig({
	test: {
		include: ["test/faults/**/*.test.ts"],
		environment: "node",
		maxWorkers: 2,
		testTimeout: 240_000,
		hookTimeout: 120_000,
	},
});
