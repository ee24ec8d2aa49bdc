import { describe, expect, it } from "vitest";
import { Waiters } from "../../src/hub/waiters.ts";

describe("Waiters", () => {
	it("wakes the waiters of a key at once, and only them", async () => {
		const waiters = new Waiters();
		const woken: string[] = [];
		const a = waiters.wait("task_a", 10_000).then(() => woken.push("a"));
		const a2 = waiters.wait("task_a", 10_000).then(() => woken.push("a2"));
		const b = waiters.wait("task_b", 50).then(() => woken.push("b"));
		waiters.wake(["task_a", undefined, "task_a"]);
		await Promise.all([a, a2]);
		expect(woken.sort()).toEqual(["a", "a2"]);
		await b;
		expect(woken).toContain("b");
	});

	it("resolves on its own when the time is up, and a later wake finds no one", async () => {
		const waiters = new Waiters();
		const started = Date.now();
		await waiters.wait("task_a", 20);
		expect(Date.now() - started).toBeGreaterThanOrEqual(15);
		expect(() => waiters.wake(["task_a"])).not.toThrow();
	});
});
