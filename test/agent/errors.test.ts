import { APICallError } from "@ai-sdk/provider";
import { RetryError } from "ai";
import { describe, expect, it } from "vitest";
import { classifyError } from "../../src/agent/errors.ts";

const apiError = (statusCode: number, message = "x") =>
	new APICallError({ message, url: "https://api.test", requestBodyValues: {}, statusCode });

describe("classifyError", () => {
	it.each([429, 500, 502, 503, 504, 529])("HTTP %i is transient", (status) => {
		const c = classifyError(apiError(status));
		expect(c.kind).toBe("transient");
		expect(c.message).toContain(`HTTP ${status}`);
	});

	it.each([400, 401, 403, 404, 422])("HTTP %i is permanent", (status) => {
		expect(classifyError(apiError(status)).kind).toBe("permanent");
	});

	it("looks inside the SDK's RetryError", () => {
		const error = new RetryError({ message: "failed", reason: "maxRetriesExceeded", errors: [apiError(503)] });
		expect(classifyError(error)).toMatchObject({ kind: "transient" });
	});

	it("says what workerd's opaque fetch failure means, and retries it", () => {
		const c = classifyError(new Error("internal error; reference = 9f8e7d6c5b4a"));
		expect(c).toEqual({
			kind: "transient",
			message: "could not reach the model provider (connection refused, unknown host or no network)",
		});
	});

	it("treats network failures, retryable RPC errors and provider overload as transient", () => {
		expect(classifyError(new TypeError("fetch failed")).kind).toBe("transient");
		expect(classifyError(Object.assign(new Error("Network connection lost."), { retryable: true })).kind).toBe(
			"transient",
		);
		expect(classifyError({ type: "overloaded_error", message: "Overloaded" }).kind).toBe("transient");
	});

	it("treats anything else as permanent, with its message", () => {
		expect(classifyError(new Error("schema mismatch"))).toEqual({ kind: "permanent", message: "schema mismatch" });
	});

	it("never repeats a key-shaped secret", () => {
		// Assembled at run time so no key-shaped literal sits in the repository for scanners to flag.
		const fakeKey = ["sk", "abcdefghijklmnop1234"].join("-");
		const c = classifyError(apiError(401, `Incorrect API key provided: ${fakeKey}`));
		expect(c.message).not.toContain(fakeKey);
		expect(c.message).toContain("[redacted]");
	});
});
