import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

describe("GET /api/health", () => {
	it("answers without a token", async () => {
		const res = await exports.default.fetch("http://sparky.test/api/health");
		expect(res.status).toBe(200);
		expect(await res.json()).toEqual({ ok: true, service: "sparky" });
	});

	it("answers unknown routes with the one error shape", async () => {
		const res = await exports.default.fetch("http://sparky.test/api/nope");
		expect(res.status).toBe(404);
		expect(await res.json()).toEqual({ error: { code: "not_found", message: "no route for GET /api/nope" } });
	});
});
