import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { newId } from "../../src/protocol/index.ts";
import {
	findLiveToken,
	getToken,
	insertToken,
	listTokens,
	revokeToken,
	type TokenRecord,
	touchToken,
} from "../../src/storage/tokens.ts";
import { dbUser } from "../support/db.ts";

const token = (userId: string, overrides: Partial<TokenRecord> = {}): TokenRecord => ({
	id: newId("tok", 9),
	user_id: userId,
	name: null,
	role: "user",
	created_at: 1_000,
	expires_at: null,
	revoked_at: null,
	last_used_at: null,
	...overrides,
});

describe("storage: tokens", () => {
	it("stores a token and finds it live by its hash", async () => {
		const user = await dbUser();
		const row = token(user.id, { name: "laptop" });
		await insertToken(env.DB, row, `hash-${row.id}`);
		expect(await getToken(env.DB, row.id)).toEqual(row);
		expect(await findLiveToken(env.DB, `hash-${row.id}`, 2_000)).toEqual({
			userId: user.id,
			role: "user",
			tokenId: row.id,
			tokenExpiresAt: null,
		});
		expect(await findLiveToken(env.DB, "hash-unknown", 2_000)).toBeNull();
	});

	it("never lists the hash", async () => {
		const user = await dbUser();
		const row = token(user.id);
		await insertToken(env.DB, row, `hash-${row.id}`);
		const [listed] = await listTokens(env.DB, user.id);
		expect(Object.keys(listed ?? {})).not.toContain("token_hash");
		expect(JSON.stringify(listed)).not.toContain(`hash-${row.id}`);
	});

	it("refuses a second token with the same hash", async () => {
		const user = await dbUser();
		await insertToken(env.DB, token(user.id), "hash-shared-once");
		await expect(insertToken(env.DB, token(user.id), "hash-shared-once")).rejects.toThrow(/UNIQUE/);
	});

	it("refuses a token of a user that doesn't exist", async () => {
		await expect(insertToken(env.DB, token("no-such-user"), `hash-${newId("h", 6)}`)).rejects.toThrow(/FOREIGN KEY/);
	});

	it("is not live once expired: expires_at is exclusive", async () => {
		const user = await dbUser();
		const row = token(user.id, { expires_at: 5_000 });
		await insertToken(env.DB, row, `hash-${row.id}`);
		expect(await findLiveToken(env.DB, `hash-${row.id}`, 4_999)).toMatchObject({ tokenExpiresAt: 5_000 });
		expect(await findLiveToken(env.DB, `hash-${row.id}`, 5_000)).toBeNull();
		expect(await findLiveToken(env.DB, `hash-${row.id}`, 9_000)).toBeNull();
	});

	it("revokes once: the first revocation time is kept, and the token is no longer live", async () => {
		const user = await dbUser();
		const row = token(user.id);
		await insertToken(env.DB, row, `hash-${row.id}`);
		expect(await revokeToken(env.DB, row.id, 3_000)).toMatchObject({ id: row.id, revoked_at: 3_000 });
		expect(await revokeToken(env.DB, row.id, 4_000)).toMatchObject({ revoked_at: 3_000 });
		expect(await findLiveToken(env.DB, `hash-${row.id}`, 3_500)).toBeNull();
		expect(await revokeToken(env.DB, "tok_missing", 1)).toBeNull();
	});

	it("lists a user's tokens newest first, ties by id, and only theirs", async () => {
		const user = await dbUser();
		const other = await dbUser();
		const rows = [
			token(user.id, { id: "tok_b", created_at: 1 }),
			token(user.id, { id: "tok_c", created_at: 3 }),
			token(user.id, { id: "tok_a", created_at: 1 }),
			token(other.id, { created_at: 9 }),
		].map((r) => ({ ...r, id: r.user_id === user.id ? `${r.id}_${user.id}` : r.id }));
		for (const r of rows) await insertToken(env.DB, r, `hash-${r.id}`);
		expect((await listTokens(env.DB, user.id)).map((t) => t.id)).toEqual([
			`tok_c_${user.id}`,
			`tok_a_${user.id}`,
			`tok_b_${user.id}`,
		]);
	});

	it("records use at most once a minute", async () => {
		const user = await dbUser();
		const row = token(user.id);
		await insertToken(env.DB, row, `hash-${row.id}`);
		await touchToken(env.DB, row.id, 100_000);
		expect((await getToken(env.DB, row.id))?.last_used_at).toBe(100_000);
		await touchToken(env.DB, row.id, 159_999);
		expect((await getToken(env.DB, row.id))?.last_used_at).toBe(100_000);
		await touchToken(env.DB, row.id, 160_001);
		expect((await getToken(env.DB, row.id))?.last_used_at).toBe(160_001);
	});

	it("goes with its user", async () => {
		const user = await dbUser();
		const row = token(user.id);
		await insertToken(env.DB, row, `hash-${row.id}`);
		await env.DB.prepare("DELETE FROM users WHERE id = ?").bind(user.id).run();
		expect(await getToken(env.DB, row.id)).toBeNull();
	});
});
