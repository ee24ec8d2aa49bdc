// Login, config, environment overrides and the error messages and exit codes of docs/cli.md.
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cliEnv, closedPort, configHome, json, server, sparky } from "./support/cli.ts";

describe("sparky login / logout / whoami", () => {
	it("login checks the token, then writes the config (0600 in a 0700 folder); logout forgets the token", async () => {
		const home = configHome();
		const env = cliEnv({ XDG_CONFIG_HOME: home });
		const login = await sparky(["login", "--url", `${server().url}/`, "--token", server().adminToken], { env });
		expect(login.code, login.stderr).toBe(0);
		expect(login.stdout).toMatch(/Logged in to http:\/\/127\.0\.0\.1:\d+ as admin \(admin\)/);

		const file = join(home, "sparky", "config.json");
		expect(statSync(file).mode & 0o777).toBe(0o600);
		expect(statSync(join(home, "sparky")).mode & 0o777).toBe(0o700);
		expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ url: server().url, token: server().adminToken });

		// The saved config is used without any SPARKY_* variable.
		const me = json<{ user_id: string; url: string }>(await sparky(["whoami", "--json"], { env }));
		expect(me).toMatchObject({ user_id: "admin", url: server().url });

		// SPARKY_TOKEN overrides the saved token.
		const overridden = await sparky(["whoami"], { env: { ...env, SPARKY_TOKEN: "spk_not_a_real_token" } });
		expect(overridden.code).toBe(3);

		const logout = await sparky(["logout"], { env });
		expect(logout.code).toBe(0);
		expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ url: server().url });
		const after = await sparky(["whoami"], { env });
		expect(after.code).toBe(3);
		expect(after.stderr).toMatch(/not logged in/);
		expect(after.stderr).toMatch(/sparky login/);
	});

	it("login reads the token from stdin when it isn't a terminal, and refuses a bad one without saving", async () => {
		const home = configHome();
		const env = cliEnv({ XDG_CONFIG_HOME: home, SPARKY_URL: server().url });
		const bad = await sparky(["login"], { env, input: "spk_wrong_token\n" });
		expect(bad.code).toBe(3);
		expect(bad.stderr).toMatch(/the token was not accepted by http:\/\/127\.0\.0\.1:\d+ .*; run `sparky login`/);
		expect(() => statSync(join(home, "sparky", "config.json"))).toThrow();

		const good = await sparky(["login", "--json"], { env, input: `${server().adminToken}\n` });
		expect(good.code, good.stderr).toBe(0);
		expect(json(good)).toMatchObject({ url: server().url, user_id: "admin", role: "admin" });
	});
});

describe("errors and exit codes", () => {
	it("a bad token: exit 3 and the login hint", async () => {
		const run = await sparky(["agent", "tasks", "list"], {
			env: cliEnv({ SPARKY_URL: server().url, SPARKY_TOKEN: "spk_revoked_or_made_up" }),
		});
		expect(run.code).toBe(3);
		expect(run.stderr).toMatch(
			/^error: the token was not accepted by .*\(invalid, expired or revoked token\); run `sparky login`/m,
		);
		expect(run.stdout).toBe("");
	});

	it("an unreachable server: exit 5 and what to do; --json puts the error on stdout", async () => {
		const url = `http://127.0.0.1:${await closedPort()}`;
		const env = cliEnv({ SPARKY_URL: url, SPARKY_TOKEN: "whatever" });
		const run = await sparky(["agent", "status"], { env });
		expect(run.code).toBe(5);
		expect(run.stderr).toMatch(
			new RegExp(`^error: cannot reach Sparky at ${url}: .*ECONNREFUSED.*; is it running\\? try \`sparky serve\``, "m"),
		);
		const asJson = await sparky(["agent", "status", "--json"], { env });
		expect(asJson.code).toBe(5);
		expect(json(asJson)).toMatchObject({ error: { code: "unreachable", exit_code: 5 } });
	});

	it("usage errors: exit 2 (commander's and the schemas')", async () => {
		const unknown = await sparky(["agent", "tasks", "list", "--bogus"]);
		expect(unknown.code).toBe(2);
		expect(unknown.stderr).toMatch(/unknown option '--bogus'/);
		const missing = await sparky(["agent", "schedule", "add", "nightly"]);
		expect(missing.code).toBe(2);
		expect(missing.stderr).toMatch(/missing required argument/);
		const help = await sparky(["agent", "tasks", "--help"]);
		expect(help.code).toBe(0);
		expect(help.stdout).toMatch(/watch \[options\] <id>|watch <id>/);
	});

	it("API errors show the API's message and details", async () => {
		const run = await sparky(["users", "add", "admin"]);
		expect(run.code).toBe(6);
		expect(run.stderr).toMatch(/^error: user admin already exists$/m);
		const asJson = await sparky(["users", "add", "admin", "--json"]);
		expect(json(asJson)).toEqual({ error: { code: "conflict", message: "user admin already exists", exit_code: 6 } });
	});
});
