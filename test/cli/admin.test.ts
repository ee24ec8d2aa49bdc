// `sparky users …` and `sparky tokens …`: what an admin does, and what a user may not.
import { describe, expect, it } from "vitest";
import { cliEnv, json, server, sparky } from "./support/cli.ts";

interface TokenJson {
	id: string;
	user_id: string;
	name: string | null;
	role: string;
	expires_at: number | null;
	revoked_at: number | null;
	token?: string;
}

describe("sparky users / tokens", () => {
	it("creates a user and a token; the token works, shows up in the list, and stops working once revoked", async () => {
		const id = `alice-${Date.now().toString(36)}`;
		const add = await sparky(["users", "add", id]);
		expect(add.code, add.stderr).toBe(0);
		expect(add.stdout).toMatch(new RegExp(`Created user ${id} \\(user\\)`));

		const users = json<{ users: { id: string; role: string }[] }>(await sparky(["users", "list", "--json"]));
		expect(users.users).toEqual(expect.arrayContaining([expect.objectContaining({ id, role: "user" })]));
		const table = await sparky(["users", "list"]);
		expect(table.stdout).toMatch(/^ID\s+ROLE\s+CREATED/m);
		expect(table.stdout).toMatch(new RegExp(`^${id}\\s+user\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d`, "m"));
		// The built-in users have no creation date to show (issue #27): not 1970-01-01.
		expect(table.stdout).toMatch(/^admin\s+admin\s+built in\s*$/m);
		expect(table.stdout).toMatch(/^agent\s+user\s+built in\s*$/m);
		expect(table.stdout).not.toContain("1970-01-01");

		const created = json<TokenJson>(
			await sparky(["tokens", "create", id, "--name", "laptop", "--expires-in", "30d", "--json"]),
		);
		expect(created).toMatchObject({ user_id: id, name: "laptop", role: "user", token: expect.stringMatching(/^spk_/) });
		expect(created.expires_at).toBeGreaterThan(Date.now() + 29 * 86_400_000);
		const human = await sparky(["tokens", "create", id]);
		expect(human.stdout).toMatch(/^\s+spk_\S+$/m);
		expect(human.stdout).toMatch(/shown only this once/);

		const env = cliEnv({ SPARKY_URL: server().url, SPARKY_TOKEN: created.token });
		expect(json(await sparky(["whoami", "--json"], { env }))).toMatchObject({ user_id: id, role: "user" });

		// A plain user is not an admin: 403, exit 3.
		const forbidden = await sparky(["users", "list"], { env });
		expect(forbidden.code).toBe(3);
		expect(forbidden.stderr).toMatch(/hint: this needs an admin token/);

		const list = json<{ tokens: TokenJson[] }>(await sparky(["tokens", "list", id, "--json"]));
		expect(list.tokens.map((t) => t.id)).toEqual(expect.arrayContaining([created.id]));
		expect(list.tokens.every((t) => t.token === undefined)).toBe(true);
		expect((await sparky(["tokens", "list", id])).stdout).toMatch(
			new RegExp(`^${created.id}\\s+laptop\\s+user\\s+active`, "m"),
		);

		const revoked = await sparky(["tokens", "revoke", created.id]);
		expect(revoked.code, revoked.stderr).toBe(0);
		expect(revoked.stdout).toMatch(new RegExp(`Revoked ${created.id} \\(${id}, "laptop"\\); 0 open sockets closed`));
		const after = await sparky(["whoami"], { env });
		expect(after.code).toBe(3);
		expect(after.stderr).toMatch(/the token was not accepted/);
		expect((await sparky(["tokens", "list", id])).stdout).toMatch(
			new RegExp(`^${created.id}\\s+laptop\\s+user\\s+revoked`, "m"),
		);
	});

	it("checks ids, roles and durations before sending; unknown ones are 404", async () => {
		expect((await sparky(["users", "add", "Not Valid"])).code).toBe(2);
		expect((await sparky(["users", "add", "bob", "--role", "root"])).code).toBe(2);
		expect((await sparky(["tokens", "create", "admin", "--expires-in", "soon"])).stderr).toMatch(
			/invalid --expires-in/,
		);
		const missing = await sparky(["tokens", "create", "nobody-here"]);
		expect(missing.code).toBe(4);
		expect(missing.stderr).toMatch(/user nobody-here not found/);
		expect((await sparky(["tokens", "revoke", "tok_nope"])).code).toBe(4);
	});
});

describe("sparky apps", () => {
	it("revoke takes an id that begins with a dash (the OAuth provider's grant ids may): the server answers it", async () => {
		const dashed = await sparky(["apps", "revoke", "-8QP3BzmFQsJCTvp", "--json"]);
		expect(dashed.stderr).not.toMatch(/unknown option/);
		expect(dashed.code).toBe(4);
		expect(json<{ error: { code: string; message: string } }>(dashed).error).toMatchObject({
			code: "not_found",
			message: expect.stringContaining("-8QP3BzmFQsJCTvp"),
		});
	});
});
