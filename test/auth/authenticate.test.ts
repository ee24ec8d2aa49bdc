import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { authenticateToken, bearerToken } from "../../src/auth/authenticate.ts";
import { newSecret } from "../../src/auth/secrets.ts";
import { ADMIN_SECRET_TOKEN_ID, ADMIN_USER_ID } from "../../src/auth/types.ts";
import { revokeToken } from "../../src/storage/tokens.ts";
import { dbToken } from "../support/db.ts";

describe("auth: bearer tokens", () => {
	it("resolves a stored token to its user, role and expiry", async () => {
		const { secret, id, userId } = await dbToken(9_000);
		expect(await authenticateToken(env, secret, 1_000)).toEqual({
			userId,
			role: "user",
			tokenId: id,
			tokenExpiresAt: 9_000,
		});
	});

	it("refuses an expired token (expiry is exclusive) and a revoked one", async () => {
		const expiring = await dbToken(5_000);
		expect(await authenticateToken(env, expiring.secret, 4_999)).not.toBeNull();
		expect(await authenticateToken(env, expiring.secret, 5_000)).toBeNull();
		const revoked = await dbToken();
		await revokeToken(env.DB, revoked.id, 2_000);
		expect(await authenticateToken(env, revoked.secret, 3_000)).toBeNull();
	});

	it("refuses an unknown token, and one too short or too long to be real", async () => {
		expect(await authenticateToken(env, newSecret("spk"), 1)).toBeNull();
		expect(await authenticateToken(env, "short", 1)).toBeNull();
		expect(await authenticateToken(env, `spk_${"a".repeat(600)}`, 1)).toBeNull();
	});

	it("takes the SPARKY_ADMIN_TOKEN secret as the bootstrap admin", async () => {
		expect(await authenticateToken(env, env.SPARKY_ADMIN_TOKEN, 1)).toEqual({
			userId: ADMIN_USER_ID,
			role: "admin",
			tokenId: ADMIN_SECRET_TOKEN_ID,
			tokenExpiresAt: null,
		});
		expect(await authenticateToken(env, `${env.SPARKY_ADMIN_TOKEN}x`, 1)).toBeNull();
	});

	it("ignores an admin secret too short to be a real secret", async () => {
		const short = "short-admin-secret-1234";
		expect(await authenticateToken({ ...env, SPARKY_ADMIN_TOKEN: short }, short, 1)).toBeNull();
		const { secret, userId } = await dbToken();
		expect(await authenticateToken({ ...env, SPARKY_ADMIN_TOKEN: short }, secret, 1)).toMatchObject({ userId });
	});

	it("reads the token from an Authorization header", () => {
		expect(bearerToken("Bearer spk_abc")).toBe("spk_abc");
		expect(bearerToken("bearer   spk_abc  ")).toBe("spk_abc");
		expect(bearerToken(undefined)).toBeUndefined();
		expect(bearerToken("Basic dXNlcjpwYXNz")).toBeUndefined();
		expect(bearerToken("Bearer")).toBeUndefined();
		expect(bearerToken("Bearer a b")).toBeUndefined();
		expect(bearerToken("Bearerspk_abc")).toBeUndefined();
	});
});
