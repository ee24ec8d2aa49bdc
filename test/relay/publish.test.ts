import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { hubFor, InvalidPublishError } from "../../src/hub/stub.ts";
import type { PublishEvent } from "../../src/protocol/index.ts";
import { backoff, type Publisher, publishWithRetry, worthRetrying } from "../../src/relay/publish.ts";
import { newUser } from "../support/api.ts";

const event: PublishEvent = { type: "CUSTOM", id: "p:1", name: "n", value: 1 };
const flagged = (flags: { retryable?: boolean; overloaded?: boolean }) =>
	Object.assign(new Error("Durable Object is overloaded"), flags);

/** A publisher that fails with `error` `times` times, then answers; counts its calls. */
function failing(error: unknown, times = Number.POSITIVE_INFINITY): Publisher & { calls: number } {
	const publish = Object.assign(
		async () => {
			publish.calls++;
			if (publish.calls <= times) throw error;
			return { seqs: [1] };
		},
		{ calls: 0 },
	);
	return publish;
}

describe("the hub's typed refusal across RPC", () => {
	it("survives Durable Object RPC as a TypeError with its message, known by InvalidPublishError.is", async () => {
		const user = await newUser();
		const refused = await hubFor(env, user.id)
			.publish([{ type: "not valid" } as PublishEvent])
			.catch((error: unknown) => error);
		// What the runtime keeps: the standard prototype and the message (not the class), and `remote`.
		expect(refused).toBeInstanceOf(TypeError);
		expect(refused).not.toBeInstanceOf(InvalidPublishError);
		expect((refused as { remote?: unknown }).remote).toBe(true);
		expect((refused as { retryable?: unknown }).retryable).toBeUndefined();
		expect(InvalidPublishError.is(refused)).toBe(true);
		const forwardRefused = await hubFor(env, user.id)
			.publishAndForward([event], ["Not A User!"])
			.catch((error: unknown) => error);
		expect(InvalidPublishError.is(forwardRefused)).toBe(true);
	});

	it("is known in the same isolate too, and nothing else is", () => {
		expect(InvalidPublishError.is(new InvalidPublishError("bad"))).toBe(true);
		expect(InvalidPublishError.is(new TypeError("Cannot read properties of undefined"))).toBe(false);
		expect(InvalidPublishError.is(new Error("invalid publish batch: not a TypeError"))).toBe(false);
		expect(InvalidPublishError.is("invalid publish batch")).toBe(false);
	});
});

describe("publishWithRetry", () => {
	it("retries what the platform marks retryable, with backoff, until it goes through", async () => {
		const publish = failing(flagged({ retryable: true }), 2);
		expect(await publishWithRetry(publish, "u", [event], { attempts: 4, baseMs: 1 })).toEqual({
			kind: "delivered",
			seqs: [1],
		});
		expect(publish.calls).toBe(3);
	});

	it("never retries an overloaded hub at once: the events stay for a later call", async () => {
		const publish = failing(flagged({ retryable: true, overloaded: true }));
		expect(await publishWithRetry(publish, "u", [event], { attempts: 4, baseMs: 1 })).toEqual({ kind: "failed" });
		expect(publish.calls).toBe(1);
	});

	it("doesn't retry an error without the platform's flag (the hub's own code threw it)", async () => {
		const publish = failing(new Error("hub unreachable"));
		expect(await publishWithRetry(publish, "u", [event], { attempts: 4, baseMs: 1 })).toEqual({ kind: "failed" });
		expect(publish.calls).toBe(1);
	});

	it("gives up on a refusal for good", async () => {
		const publish = failing(new InvalidPublishError("bad"));
		expect(await publishWithRetry(publish, "u", [event], { attempts: 4, baseMs: 1 })).toEqual({ kind: "refused" });
		expect(publish.calls).toBe(1);
	});

	it("stops after its attempts", async () => {
		const publish = failing(flagged({ retryable: true }));
		expect(await publishWithRetry(publish, "u", [event], { attempts: 3, baseMs: 1 })).toEqual({ kind: "failed" });
		expect(publish.calls).toBe(3);
	});

	it("waits a random time under a doubling ceiling (full jitter)", () => {
		expect(backoff(1, 50, () => 0)).toBe(0);
		expect(backoff(1, 50, () => 0.999)).toBe(49);
		expect(backoff(3, 50, () => 0.5)).toBe(100);
		expect(worthRetrying(flagged({ retryable: true }))).toBe(true);
		expect(worthRetrying(flagged({ retryable: true, overloaded: true }))).toBe(false);
		expect(worthRetrying(flagged({}))).toBe(false);
		expect(worthRetrying(undefined)).toBe(false);
	});
});
