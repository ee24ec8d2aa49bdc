import { defineConfig } from "vitest/config";

/**
 * MCP both ways, end to end (`npm test` step "mcp", or `npx vitest run -c vitest.mcp.config.ts`):
 * plain Node. test/mcp-live/global-setup.ts starts the reference MCP server
 * (@modelcontextprotocol/server-everything, Streamable HTTP and HTTP+SSE) and one real `wrangler dev`.
 */
export default defineConfig({
	test: {
		include: ["test/mcp-live/**/*.test.ts"],
		environment: "node",
		globalSetup: ["./test/mcp-live/global-setup.ts"],
		maxWorkers: 2,
		testTimeout: 90_000,
		hookTimeout: 120_000,
		silent: "passed-only",
	},
});
