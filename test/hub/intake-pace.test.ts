import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
	FULL_BUDGET_TASKS,
	HUB_CALL_BUDGET,
	IntakePace,
	MAX_HUB_PACE_MS,
	MIN_HUB_CALL_BUDGET,
} from "../../src/hub/intake-pace.ts";
import { hubFor } from "../../src/hub/stub.ts";
import type { PublishEvent } from "../../src/protocol/index.ts";
import { newUser } from "../support/api.ts";

/** `calls` calls spread evenly over one second from `writers` writers, each with an event of one of `tasks` tasks. */
function busy(pace: IntakePace, from: number, calls: number, writers: number, tasks = 1): number {
	let answer = 0;
	for (let i = 0; i < calls; i++) {
		answer = pace.call(`w${i % writers}`, [`task_${i % tasks}`], from + Math.floor((i * 1000) / calls));
	}
	return answer;
}

describe("IntakePace: the pace a hub asks of its writers", () => {
	it("asks nothing while calm, however many writers", () => {
		const pace = new IntakePace();
		// Under 80% of the budget in the last second: nobody is held back.
		expect(busy(pace, 0, HUB_CALL_BUDGET * 0.8 - 1, 40)).toBe(0);
		expect(pace.call("w0", [], 999)).toBeGreaterThan(0);
	});

	it("when busy, spaces each writer so that all of them together stay within the budget", () => {
		for (const writers of [1, 5, 40]) {
			const pace = new IntakePace();
			const ms = busy(pace, 10_000, 2 * HUB_CALL_BUDGET, writers);
			expect(ms).toBe(Math.ceil((writers * 1000) / HUB_CALL_BUDGET));
			// Every writer at that pace: at most the budget's calls a second.
			expect(writers * (1000 / ms)).toBeLessThanOrEqual(HUB_CALL_BUDGET);
		}
	});

	it("past a few streaming tasks, takes fewer and fuller calls: the budget shrinks in proportion", () => {
		const few = new IntakePace();
		busy(few, 0, 2 * HUB_CALL_BUDGET, 2, FULL_BUDGET_TASKS);
		expect(few.budget(999)).toBe(HUB_CALL_BUDGET);
		const many = new IntakePace();
		const ms = busy(many, 0, 2 * HUB_CALL_BUDGET, 2, 3 * FULL_BUDGET_TASKS);
		expect(many.tasks(999)).toBe(3 * FULL_BUDGET_TASKS);
		expect(many.budget(999)).toBeCloseTo(HUB_CALL_BUDGET / 3);
		expect(ms).toBe(Math.ceil((2 * 1000 * 3) / HUB_CALL_BUDGET));
		// A thousand tasks: never under the least budget.
		const flood = new IntakePace();
		busy(flood, 0, 1000, 10, 1000);
		expect(flood.budget(999)).toBe(MIN_HUB_CALL_BUDGET);
	});

	it("never asks for more than the longest pace", () => {
		const pace = new IntakePace();
		expect(busy(pace, 0, 1000, 500)).toBe(MAX_HUB_PACE_MS);
	});

	it("forgets writers, tasks and calls after a second", () => {
		const pace = new IntakePace();
		busy(pace, 0, 300, 30, 300);
		expect(pace.writers(999)).toBe(30);
		expect(pace.writers(2500)).toBe(0);
		expect(pace.tasks(2500)).toBe(0);
		expect(pace.callsPerSecond(3000)).toBe(0);
		expect(pace.pace(3000)).toBe(0);
		// Busy again with one writer and one task: they alone count now.
		expect(busy(pace, 3000, 200, 1)).toBe(Math.ceil(1000 / HUB_CALL_BUDGET));
	});

	it("counts calls without a writer (a one-off send) as calls, not writers", () => {
		const pace = new IntakePace();
		for (let i = 0; i < 150; i++) pace.call(undefined, [], i * 5);
		expect(pace.writers(750)).toBe(0);
		expect(pace.call("w1", [], 760)).toBe(Math.ceil(1000 / HUB_CALL_BUDGET));
	});
});

describe("a user's hub answers each publish with its pace", () => {
	const event = (n: number): PublishEvent => ({ type: "CUSTOM", id: `ip:${n}`, name: "n", value: n });

	it("counts the relays writing to it and asks a pace only when busy", async () => {
		const user = await newUser();
		const hub = hubFor(env, user.id);
		// One call: calm.
		expect((await hub.publish([event(0)], "relay-a")).pace_ms).toBe(0);
		// Twice the budget's calls at once from three relays: busy.
		const answers = await Promise.all(
			Array.from({ length: 2 * HUB_CALL_BUDGET }, (_, i) => hub.publish([event(i + 1)], `relay-${"abc"[i % 3]}`)),
		);
		expect(answers.at(-1)?.pace_ms).toBe(Math.ceil((3 * 1000) / HUB_CALL_BUDGET));
		const diagnostics = await hub.diagnostics();
		expect(diagnostics.writers).toBe(3);
		// A name that isn't one is a call without a writer; the events are stored all the same.
		const odd = await hub.publish([event(10_000)], "x".repeat(65));
		expect(odd.seqs).toHaveLength(1);
		expect((await hub.diagnostics()).writers).toBe(3);
	});
});
