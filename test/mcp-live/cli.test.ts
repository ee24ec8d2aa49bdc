// `sparky mcp add|list|tools|remove` (cli/bin.js as a child process) against the suite's wrangler dev.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { live, newUser } from "./support.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const NODE = existsSync(join(ROOT, "node_modules/.bin/node")) ? join(ROOT, "node_modules/.bin/node") : process.execPath;

function sparky(token: string, args: string[], extraEnv: Record<string, string> = {}) {
	const env: NodeJS.ProcessEnv = {};
	for (const [k, v] of Object.entries(process.env)) if (!/^(SPARKY_|FORCE_COLOR$|XDG_CONFIG_HOME$)/.test(k)) env[k] = v;
	Object.assign(env, { NO_COLOR: "1", COLUMNS: "160", SPARKY_URL: live().url, SPARKY_TOKEN: token, ...extraEnv });
	return new Promise<{ code: number; stdout: string; stderr: string }>((resolvePromise) => {
		execFile(NODE, [join(ROOT, "cli/bin.js"), ...args], { cwd: ROOT, env, timeout: 60_000 }, (error, stdout, stderr) =>
			resolvePromise({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
		);
	});
}

describe("sparky mcp", () => {
	it("adds, lists, shows tools and removes a server, in text and --json, never printing header values", async () => {
		const user = await newUser();
		const added = await sparky(
			user.token,
			["mcp", "add", "everything", live().everythingUrl, "-H", "X-Trace=abc123", "--header-env", "X-Api-Key=MY_KEY"],
			{ MY_KEY: "sk-cli-SECRET-value-9" },
		);
		expect(added.code, added.stderr).toBe(0);
		expect(added.stdout).toContain("Added MCP server everything");

		const list = await sparky(user.token, ["mcp", "list", "--json"]);
		expect(list.code).toBe(0);
		const listed = JSON.parse(list.stdout);
		expect(listed.mcp_servers).toHaveLength(1);
		expect(listed.mcp_servers[0].header_names.sort()).toEqual(["X-Api-Key", "X-Trace"]);
		const text = await sparky(user.token, ["mcp", "ls"]);
		expect(text.stdout).toMatch(/everything\s+http:\/\/127\.0\.0\.1:\d+\/mcp\s+X-Trace, X-Api-Key\s+auto/);

		const tools = await sparky(user.token, ["mcp", "tools", "everything", "--json"]);
		expect(tools.code, tools.stderr).toBe(0);
		expect(JSON.parse(tools.stdout).tools.map((t: { agent_name: string }) => t.agent_name)).toContain(
			"everything__echo",
		);
		const toolsText = await sparky(user.token, ["mcp", "tools", "everything"]);
		expect(toolsText.stdout).toMatch(/everything__get-sum\s+read-only\s+no/);

		for (const out of [added, list, text, tools, toolsText]) expect(out.stdout + out.stderr).not.toContain("SECRET");

		const removed = await sparky(user.token, ["mcp", "remove", "everything", "--json"]);
		expect(JSON.parse(removed.stdout)).toEqual({ deleted: true, name: "everything" });
		const gone = await sparky(user.token, ["mcp", "tools", "everything", "--json"]);
		expect(gone.code).toBe(4);
		expect(JSON.parse(gone.stdout).error.code).toBe("not_found");
	});

	it("refuses bad input before sending, and reports the server's refusal", async () => {
		const user = await newUser();
		const bad = await sparky(user.token, ["mcp", "add", "Bad Name", live().everythingUrl]);
		expect(bad.code).toBe(2);
		const refused = await sparky(user.token, ["mcp", "add", "meta", "http://169.254.169.254/", "--json"]);
		expect(refused.code).not.toBe(0);
		expect(JSON.parse(refused.stdout).error.message).toMatch(/link-local/);
	});
});
