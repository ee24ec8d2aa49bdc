import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { describe, expect, it } from "vitest";
import {
	conflict,
	forbidden,
	invalid,
	invalidJson,
	notFound,
	rateLimited,
	SparkyError,
	tooLarge,
	unauthorized,
	unavailable,
	unprocessable,
} from "../../src/errors.ts";
import { onError, onNotFound } from "../../src/http/errors.ts";

/** A tiny app whose one route throws what the test hands it, answered by the real handlers. */
function answerTo(error: Error): Promise<Response> {
	const app = new Hono();
	app.get("/boom", () => {
		throw error;
	});
	app.onError(onError);
	app.notFound(onNotFound);
	return Promise.resolve(app.request("/boom"));
}

describe("domain errors over HTTP", () => {
	it.each([
		[invalid("bad field", [{ path: "x", message: "no" }]), 400, "validation_failed"],
		[invalidJson("not JSON"), 400, "invalid_json"],
		[unauthorized(), 401, "unauthorized"],
		[forbidden("admin role required"), 403, "forbidden"],
		[notFound("task t1"), 404, "not_found"],
		[conflict("already there", { id: "x" }), 409, "conflict"],
		[tooLarge("too big"), 413, "payload_too_large"],
		[unprocessable("key reused"), 422, "conflict"],
		[rateLimited("new tasks", 1500), 429, "rate_limited"],
		[unavailable("hub down"), 503, "unavailable"],
	] as const)("%s → %i %s", async (error, status, code) => {
		const res = await answerTo(error);
		expect(res.status).toBe(status);
		const body = (await res.json()) as { error: { code: string; message: string; details?: unknown } };
		expect(body.error.code).toBe(code);
		expect(body.error.message).toBe(error.message);
		expect(body.error.details).toEqual(error.details);
	});

	it("asks for a bearer token on 401 and says when to retry on 429", async () => {
		expect((await answerTo(unauthorized())).headers.get("WWW-Authenticate")).toBe('Bearer realm="sparky"');
		expect((await answerTo(rateLimited("chat messages", 1500))).headers.get("Retry-After")).toBe("2");
		expect((await answerTo(rateLimited("chat messages", 10))).headers.get("Retry-After")).toBe("1");
		expect((await answerTo(notFound("x"))).headers.get("Retry-After")).toBeNull();
	});

	it("turns Hono's own exceptions into the error shape (malformed JSON is a 400, never a 500)", async () => {
		const malformed = await answerTo(new HTTPException(400, { message: "Malformed JSON in request body" }));
		expect(malformed.status).toBe(400);
		expect(((await malformed.json()) as { error: { code: string } }).error.code).toBe("invalid_json");
		const big = await answerTo(new HTTPException(413, { message: "too large" }));
		expect(((await big.json()) as { error: { code: string } }).error.code).toBe("payload_too_large");
	});

	it("answers anything unknown with a plain 500 that reveals nothing", async () => {
		const res = await answerTo(new Error("secret internals: db password"));
		expect(res.status).toBe(500);
		const text = await res.text();
		expect(text).not.toContain("secret internals");
		expect(JSON.parse(text)).toEqual({ error: { code: "internal_error", message: "internal error" } });
	});

	it("names the method and path of a route that doesn't exist", async () => {
		const app = new Hono();
		app.notFound(onNotFound);
		const res = await app.request("/nowhere", { method: "DELETE" });
		expect(res.status).toBe(404);
		expect(await res.json()).toEqual({ error: { code: "not_found", message: "no route for DELETE /nowhere" } });
	});

	it("keeps a domain error's kind separate from its wire code", () => {
		const error = unprocessable("this Idempotency-Key was already used for a different task");
		expect(error).toBeInstanceOf(SparkyError);
		expect([error.kind, error.code]).toEqual(["unprocessable", "conflict"]);
	});
});
