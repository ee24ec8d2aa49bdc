import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { adminToken, api, json, newUser, tokenFor } from "../support/api.ts";

const UNAUTHORIZED = { error: { code: "unauthorized", message: expect.any(String) } };

describe("authentication", () => {
	it("refuses a request without a token with 401 and the one error shape", async () => {
		const res = await api("/api/me");
		expect(res.status).toBe(401);
		expect(res.headers.get("WWW-Authenticate")).toMatch(/^Bearer/);
		expect(await res.json()).toEqual(UNAUTHORIZED);
	});

	it.each([
		["a malformed header", { Authorization: "Token abc" }],
		["an empty bearer", { Authorization: "Bearer " }],
		["an unknown token", { Authorization: "Bearer spk_not-a-real-token-at-all" }],
		["a token with spaces", { Authorization: "Bearer a b c" }],
	])("refuses %s", async (_, headers) => {
		const res = await api("/api/me", { headers });
		expect(res.status).toBe(401);
		expect(await res.json()).toEqual(UNAUTHORIZED);
	});

	it("accepts the bootstrap admin secret as the built-in admin user", async () => {
		expect(await json(api("/api/me", { token: adminToken() }))).toEqual({
			user_id: "admin",
			role: "admin",
			token_id: "admin_secret",
			token_expires_at: null,
		});
	});

	it("accepts a user token as its own user, and records its use", async () => {
		const user = await newUser();
		const me = await json(api("/api/me", { token: user.token }));
		expect(me).toMatchObject({ user_id: user.id, role: "user", token_id: user.tokenId });
		const row = await env.DB.prepare("SELECT last_used_at FROM api_tokens WHERE id = ?").bind(user.tokenId).first();
		expect(row?.last_used_at).toEqual(expect.any(Number));
	});

	it("refuses an expired token", async () => {
		const user = await newUser();
		await env.DB.prepare("UPDATE api_tokens SET expires_at = ? WHERE id = ?")
			.bind(Date.now() - 1, user.tokenId)
			.run();
		expect((await api("/api/me", { token: user.token })).status).toBe(401);
	});

	it("refuses a revoked token, and revoking twice keeps the first time", async () => {
		const user = await newUser();
		const first = await json<{ token: { revoked_at: number } }>(
			api(`/api/tokens/${user.tokenId}`, { method: "DELETE", token: adminToken() }),
		);
		expect(first.token.revoked_at).toEqual(expect.any(Number));
		expect((await api("/api/me", { token: user.token })).status).toBe(401);
		const again = await json<{ token: { revoked_at: number } }>(
			api(`/api/tokens/${user.tokenId}`, { method: "DELETE", token: adminToken() }),
		);
		expect(again.token.revoked_at).toBe(first.token.revoked_at);
	});

	it("stores only a hash of the token", async () => {
		const user = await newUser();
		const { results } = await env.DB.prepare("SELECT * FROM api_tokens WHERE id = ?").bind(user.tokenId).all();
		expect(JSON.stringify(results)).not.toContain(user.token);
		expect(results[0]?.token_hash).toMatch(/^[0-9a-f]{64}$/);
	});
});

describe("admin routes", () => {
	it.each([
		["GET", "/api/users"],
		["POST", "/api/users"],
		["GET", "/api/users/agent/tokens"],
		["POST", "/api/users/agent/tokens"],
		["POST", "/api/users/agent/events"],
	])("%s %s: 401 without a token, 403 with a user token", async (method, path) => {
		expect((await api(path, { method })).status).toBe(401);
		const user = await newUser();
		const res = await api(path, { method, token: user.token, body: method === "GET" ? undefined : {} });
		expect(res.status).toBe(403);
		expect(await res.json()).toEqual({ error: { code: "forbidden", message: "admin role required" } });
	});

	it("an admin user's admin token may use admin routes", async () => {
		const admin = await newUser("admin");
		expect((await api("/api/users", { token: admin.token })).status).toBe(200);
	});

	it("creates and lists users, starting with the built-in ones", async () => {
		const { users } = await json<{ users: { id: string }[] }>(api("/api/users", { token: adminToken() }));
		expect(users.map((u) => u.id)).toEqual(expect.arrayContaining(["agent", "admin"]));
		const res = await api("/api/users", { token: adminToken(), body: { id: "carol" } });
		expect(res.status).toBe(201);
		expect(await res.json()).toEqual({ user: { id: "carol", role: "user", created_at: expect.any(Number) } });
	});

	it("refuses a duplicate user with 409", async () => {
		await api("/api/users", { token: adminToken(), body: { id: "dave" } });
		const res = await api("/api/users", { token: adminToken(), body: { id: "dave" } });
		expect(res.status).toBe(409);
		expect(await res.json()).toEqual({ error: { code: "conflict", message: "user dave already exists" } });
	});

	it.each([
		[{ id: "Has Spaces" }, "id"],
		[{ id: "../etc" }, "id"],
		[{ id: "ok", role: "root" }, "role"],
		[{ id: "ok", extra: 1 }, "(root)"],
		[{}, "id"],
	])("validates the new user %j", async (body, path) => {
		const res = await api("/api/users", { token: adminToken(), body });
		expect(res.status).toBe(400);
		const error = (await json<{ error: { code: string; details: { path: string }[] } }>(res)).error;
		expect(error.code).toBe("validation_failed");
		expect(error.details.map((d) => d.path)).toContain(path);
	});

	it("answers malformed JSON with 400 invalid_json, whatever the content type", async () => {
		for (const contentType of ["application/json", "application/x-www-form-urlencoded"]) {
			const res = await api("/api/users", {
				token: adminToken(),
				body: "{not json",
				headers: { "Content-Type": contentType },
			});
			expect(res.status).toBe(400);
			expect((await json<{ error: { code: string } }>(res)).error.code).toBe("invalid_json");
		}
	});

	it("reads a JSON body sent as curl -d does (form content type)", async () => {
		const res = await api("/api/users", {
			token: adminToken(),
			body: JSON.stringify({ id: "erin" }),
			headers: { "Content-Type": "application/x-www-form-urlencoded" },
		});
		expect(res.status).toBe(201);
	});

	it("refuses a body over the limit with 413", async () => {
		const res = await api("/api/users", { token: adminToken(), body: { id: "x".repeat(2 * 1024 * 1024) } });
		expect(res.status).toBe(413);
		expect((await json<{ error: { code: string } }>(res)).error.code).toBe("payload_too_large");
	});
});

describe("tokens", () => {
	it("shows the secret once, then lists tokens without secrets", async () => {
		const user = await newUser("user", { name: "laptop", expires_in: "30d" });
		const { tokens } = await json<{ tokens: Record<string, unknown>[] }>(
			api(`/api/users/${user.id}/tokens`, { token: adminToken() }),
		);
		expect(tokens).toHaveLength(1);
		expect(tokens[0]).toEqual({
			id: user.tokenId,
			user_id: user.id,
			name: "laptop",
			role: "user",
			created_at: expect.any(Number),
			expires_at: expect.any(Number),
			revoked_at: null,
			last_used_at: null,
		});
		const ttl = (tokens[0]?.expires_at as number) - (tokens[0]?.created_at as number);
		expect(ttl).toBe(30 * 86_400_000);
		expect(JSON.stringify(tokens)).not.toContain(user.token);
	});

	it("accepts expires_in in seconds", async () => {
		const user = await newUser();
		const res = await json<{ created_at: number; expires_at: number }>(
			api(`/api/users/${user.id}/tokens`, { token: adminToken(), body: { expires_in: 3600 } }),
		);
		expect(res.expires_at - res.created_at).toBe(3_600_000);
	});

	it("refuses a bad duration, an admin token for a plain user, and an unknown user", async () => {
		const user = await newUser();
		const bad = await api(`/api/users/${user.id}/tokens`, { token: adminToken(), body: { expires_in: "soon" } });
		expect(bad.status).toBe(400);
		const admin = await api(`/api/users/${user.id}/tokens`, { token: adminToken(), body: { role: "admin" } });
		expect(admin.status).toBe(400);
		const missing = await api("/api/users/nobody-here/tokens", { token: adminToken(), body: {} });
		expect(missing.status).toBe(404);
	});

	it("a user may revoke their own token, not anyone else's", async () => {
		const [user, other] = await Promise.all([newUser(), newUser()]);
		const theirs = await api(`/api/tokens/${other.tokenId}`, { method: "DELETE", token: user.token });
		expect(theirs.status).toBe(404);
		expect((await api("/api/me", { token: other.token })).status).toBe(200);
		const own = await api(`/api/tokens/${user.tokenId}`, { method: "DELETE", token: user.token });
		expect(own.status).toBe(200);
		expect((await api("/api/me", { token: user.token })).status).toBe(401);
	});

	it("revoking an unknown token is a 404", async () => {
		const res = await api("/api/tokens/tok_unknown", { method: "DELETE", token: adminToken() });
		expect(res.status).toBe(404);
	});

	it("a second token of the same user works independently", async () => {
		const user = await newUser();
		const second = await tokenFor(user.id, { name: "phone" });
		await api(`/api/tokens/${user.tokenId}`, { method: "DELETE", token: adminToken() });
		expect((await api("/api/me", { token: second.token })).status).toBe(200);
	});
});
