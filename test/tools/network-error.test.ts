import { describe, expect, it } from "vitest";
import { messageOf } from "../../src/mcp/client.ts";
import { isOpaque, networkErrorText } from "../../src/tools/network-error.ts";
import { unexpectedText } from "../../src/tools/registry.ts";

describe("network errors in words", () => {
	it("says what workerd's opaque error means, without its reference", () => {
		const opaque = new Error("internal error; reference = 0123abcd4567efgh");
		expect(networkErrorText(opaque, "example.com")).toBe(
			"could not connect to example.com (connection refused, unknown host or no network)",
		);
		expect(isOpaque("SSE error: internal error; reference = x1y2")).toBe(true);
		expect(messageOf(new Error("Streamable HTTP error: internal error; reference = x1y2"))).toBe(
			"could not reach the server (connection refused, unknown host or no network)",
		);
	});

	it("keeps a message that says something already, capped", () => {
		expect(networkErrorText(new TypeError("Network connection lost."), "a.test")).toBe("Network connection lost.");
		expect(isOpaque("an internal error happened in the parser")).toBe(false);
		const long = networkErrorText(new Error("x".repeat(400)), "a.test");
		expect(long).toHaveLength(301);
		expect(long.endsWith("…")).toBe(true);
	});

	it("turns a tool's unexpected opaque exception into words, keeps any other message", () => {
		expect(unexpectedText(new Error("internal error; reference = abc123"))).toBe(
			"the Workers runtime reported an internal error (a network or storage call failed; the server log has the details)",
		);
		expect(unexpectedText(new Error("D1_ERROR: no such table: x"))).toBe("D1_ERROR: no such table: x");
	});
});
