import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { newUser } from "./support/api.ts";
import { claimed, queuedTask, reload } from "./support/tasks.ts";

describe("the local clock (a Durable Object alarm standing in for the Cron Trigger)", () => {
	it("arms once, sweeps expired leases on its alarm, and re-arms for the next sweep (SPARKY_SWEEP_SECONDS)", async () => {
		const clock = env.CLOCK.getByName("clock");
		expect(await clock.start()).toBe(true);
		expect(await clock.start()).toBe(false);

		const user = await newUser();
		const task = await queuedTask(user.id, { max_attempts: 1 });
		await claimed(task, "run_dead");
		await env.DB.prepare("UPDATE tasks SET lease_expires_at = 1 WHERE id = ?").bind(task.id).run();

		expect(await runDurableObjectAlarm(clock)).toBe(true);
		expect((await reload(task.id)).status).toBe("failed");
		const next = await runInDurableObject(clock, (_i, state) => state.storage.getAlarm());
		// Every 5 s by default: a dead runner's task is taken back within a lease plus that.
		expect(next).toBeGreaterThan(Date.now() + 3_000);
		expect(next).toBeLessThanOrEqual(Date.now() + 5_000);
	});
});
