import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { newId } from "../../src/protocol/index.ts";
import { createUser, getUser, listUsers, userExists } from "../../src/storage/users.ts";

describe("storage: users", () => {
	it("creates a user and reads it back", async () => {
		const id = newId("u", 9);
		const created = await createUser(env.DB, { id, role: "user", created_at: 1_000 });
		expect(created).toEqual({ id, role: "user", created_at: 1_000 });
		expect(await getUser(env.DB, id)).toEqual({ id, role: "user", created_at: 1_000 });
	});

	it("refuses a taken id with null and keeps the first user", async () => {
		const id = newId("u", 9);
		await createUser(env.DB, { id, role: "user", created_at: 1 });
		expect(await createUser(env.DB, { id, role: "admin", created_at: 2 })).toBeNull();
		expect(await getUser(env.DB, id)).toEqual({ id, role: "user", created_at: 1 });
	});

	it("userExists reads D1 until it has seen the user, then answers from memory; an unknown id is not remembered", async () => {
		let reads = 0;
		const db = {
			prepare: (sql: string) => {
				reads++;
				return env.DB.prepare(sql);
			},
		} as unknown as D1Database;
		const id = newId("u", 9);
		expect(await userExists(db, id)).toBe(false);
		expect(await userExists(db, id)).toBe(false);
		expect(reads).toBe(2);
		await createUser(env.DB, { id, role: "user", created_at: 1 });
		expect(await userExists(db, id)).toBe(true);
		expect(await userExists(db, id)).toBe(true);
		expect(reads).toBe(3);
	});

	it("has no user for an unknown id", async () => {
		expect(await getUser(env.DB, "nobody-here")).toBeNull();
	});

	it("refuses a role the schema doesn't know", async () => {
		await expect(createUser(env.DB, { id: newId("u", 9), role: "root" as "user", created_at: 1 })).rejects.toThrow(
			/CHECK/,
		);
	});

	it("lists users by id, the bootstrap admin among them", async () => {
		const ids = [`m-${newId("u", 6)}`, `a-${newId("u", 6)}`, `z-${newId("u", 6)}`];
		for (const id of ids) await createUser(env.DB, { id, role: "user", created_at: 1 });
		const listed = (await listUsers(env.DB)).map((u) => u.id);
		expect(listed).toEqual([...listed].sort());
		expect(listed).toEqual(expect.arrayContaining([...ids, "admin"]));
	});
});
