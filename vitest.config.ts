import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

/** Bootstrap admin secret for tests only (the real one lives in .dev.vars / wrangler secret). */
export const TEST_ADMIN_TOKEN = "test-admin-secret-0123456789abcdefghij";

export default defineConfig(async () => {
	// Tests run on what an upgraded deployment has: every migration in migrations/, applied as
	// `npm run migrate` does (schema.sql ≡ migrations: test/migrations/node/d1.test.mjs).
	const migrations = await readD1Migrations("migrations");
	return {
		plugins: [
			cloudflareTest({
				wrangler: { configPath: "./wrangler.toml" },
				miniflare: {
					bindings: {
						TEST_MIGRATIONS: migrations,
						SPARKY_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
						// Encrypts MCP server header values at rest (tests only).
						SPARKY_SECRETS_KEY: "test-secrets-key-0123456789abcdefghijklmnop",
						// Small enough that tests can reach it.
						SPARKY_EVENT_RETENTION_COUNT: "200",
						// Refilled one a minute: a test that goes past the burst of one of these rates gets no
						// token back while it sends, however slow the machine (a refill there turned a
						// 429 into a 201). Tests of the other kinds bound what refilled by the time taken.
						SPARKY_RATE_HISTORY_PER_MINUTE: "1",
						SPARKY_RATE_TICKETS_PER_MINUTE: "1",
						SPARKY_RATE_MCP_PER_MINUTE: "1",
						SPARKY_RATE_APPS_PER_MINUTE: "1",
						// No pauses: the demo model streams and retries happen at once.
						SPARKY_DEMO_DELAY_MS: "0",
						SPARKY_RETRY_BASE_SECONDS: "0",
						// A developer's .dev.vars turns the local clock on; unit tests drive time themselves.
						SPARKY_LOCAL_CLOCK: "off",
						SPARKY_LEASE_SWEEP: "off",
						// Webhooks may reach the tests' local receiver (test/support/webhook-receiver.ts, any
						// port of 127.0.0.1); off by default (docs/webhooks.md).
						SPARKY_WEBHOOK_ALLOW: "127.0.0.1:*",
					},
				},
			}),
		],
		test: {
			include: ["test/**/*.test.ts"],
			exclude: [
				"test/e2e/**",
				"test/faults/**",
				"test/cli/**",
				"test/ag-ui-client/**",
				"test/copilotkit/**",
				"test/mcp-live/**",
				// Plain Node (vitest.imports.config.ts).
				"test/imports/**",
				// Plain Node (vitest.migrations.config.ts).
				"test/migrations/node/**",
			],
			setupFiles: ["./test/setup.ts"],
			// Files share their worker (and its D1 and Durable Objects) instead of a fresh one each:
			// 45 s instead of 226 s here. Safe because every test makes its own users and ids and no
			// file mocks modules or globals; `--sequence.shuffle` runs pass too.
			isolate: false,
			// Two files at a time (vitest's default here is one: cores - 1): the files wait on timers
			// (SSE revocation, leases) often enough that two side by side took 48 s where one took 79 s.
			maxWorkers: 2,
			// Runs in Node: starts the fake LLM provider server; tests get its URL with inject("fakeLlmUrl").
			globalSetup: ["./test/support/global-setup.ts"],
			// Logs of passing tests are noise; a failing test shows its own.
			silent: "passed-only",
			testTimeout: 20_000,
		},
	};
});
