import { describe, expect, it } from "vitest";
import { conflict, notFound, rateLimited } from "../../src/errors.ts";
import { errorFrame } from "../../src/frames/errors.ts";

describe("errors as socket frames", () => {
	it("says what a domain error says, with the frame's id as ref", () => {
		expect(errorFrame(notFound("chat c1"), { type: "chat.send", id: "r1" }, "alice")).toEqual({
			type: "error",
			code: "not_found",
			message: "chat c1 not found",
			ref: "r1",
		});
		expect(errorFrame(rateLimited("chat messages", 2000), { type: "chat.send" }, "alice")).toEqual({
			type: "error",
			code: "rate_limited",
			message: "too many chat messages; retry in 2 s",
			details: { retry_after_ms: 2000 },
		});
		expect(errorFrame(conflict("taken", { id: "x" }), { type: "chat.create", id: "r2" }, "alice")).toMatchObject({
			details: { id: "x" },
			ref: "r2",
		});
	});

	it("hides anything unexpected behind a retryable internal error", () => {
		const frame = errorFrame(new Error("D1_ERROR: no such table"), { type: "chat.history", id: "r3" }, "alice");
		expect(frame).toEqual({
			type: "error",
			code: "internal_error",
			message: "could not handle the frame; try again",
			ref: "r3",
		});
	});
});
