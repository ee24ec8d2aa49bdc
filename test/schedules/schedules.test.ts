import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { depsFor } from "../../src/deps.ts";
import worker from "../../src/index.ts";
import type { Schedule, Task } from "../../src/protocol/index.ts";
import { runDueSchedules } from "../../src/schedules/service.ts";
import { api, json, newUser } from "../support/api.ts";

type ErrorBody = { error: { code: string; message: string; details?: Record<string, unknown> } };

async function create(token: string, body: Record<string, unknown>) {
	return api("/api/schedules", { token, body });
}

async function tasksOf(userId: string, scheduleName: string) {
	const { results } = await env.DB.prepare(
		"SELECT * FROM tasks WHERE user_id = ? AND schedule_name = ? ORDER BY created_at",
	)
		.bind(userId, scheduleName)
		.all<{ id: string; idempotency_key: string }>();
	return results;
}

const tick = (scheduledTime: number) =>
	worker.scheduled(createScheduledController({ scheduledTime, cron: "* * * * *" }), env);

describe("/api/schedules", () => {
	it("caps how many schedules one user may have (409 with the limit), and other users are unaffected", async () => {
		const user = await newUser();
		const now = Date.now();
		await env.DB.batch(
			Array.from({ length: 100 }, (_, i) =>
				env.DB.prepare(
					"INSERT INTO schedules (id, user_id, name, instruction, every, created_at, updated_at) VALUES (?, ?, ?, 'x', '1d', ?, ?)",
				).bind(`sched_cap${i}`, user.id, `s${i}`, now, now),
			),
		);
		const refused = await create(user.token, { name: "one-more", instruction: "x", every: "1d" });
		expect(refused.status).toBe(409);
		const body = await json<ErrorBody>(refused);
		expect(body.error.code).toBe("conflict");
		expect(body.error.details).toEqual({ limit: 100, cap: "SPARKY_MAX_SCHEDULES" });

		const other = await newUser();
		expect((await create(other.token, { name: "one-more", instruction: "x", every: "1d" })).status).toBe(201);
		await env.DB.prepare("DELETE FROM schedules WHERE id = 'sched_cap0'").run();
		expect((await create(user.token, { name: "one-more", instruction: "x", every: "1d" })).status).toBe(201);
	});

	it("creates, shows, lists, updates, disables, enables and deletes, by name", async () => {
		const user = await newUser();
		const res = await create(user.token, {
			name: "standup",
			instruction: "what time is it",
			cron: "0 9 * * 1-5",
			timezone: "Europe/Paris",
		});
		expect(res.status).toBe(201);
		const { schedule } = await json<{ schedule: Schedule }>(res);
		expect(schedule).toMatchObject({
			name: "standup",
			cron: "0 9 * * 1-5",
			every: null,
			timezone: "Europe/Paris",
			enabled: true,
		});
		expect(schedule.next_run_at).toBeGreaterThan(Date.now());

		expect((await create(user.token, { name: "standup", instruction: "x", every: "1h" })).status).toBe(409);
		expect((await json<{ schedule: Schedule }>(api("/api/schedules/standup", { token: user.token }))).schedule.id).toBe(
			schedule.id,
		);
		expect(
			(await json<{ schedules: Schedule[] }>(api("/api/schedules", { token: user.token }))).schedules,
		).toHaveLength(1);

		const patched = await json<{ schedule: Schedule }>(
			api("/api/schedules/standup", { method: "PATCH", token: user.token, body: { every: "2h" } }),
		);
		expect(patched.schedule).toMatchObject({ every: "2h", cron: null });
		expect((patched.schedule.next_run_at as number) % 7_200_000).toBe(0);

		const off = await json<{ schedule: Schedule }>(
			api("/api/schedules/standup/disable", { method: "POST", token: user.token }),
		);
		expect(off.schedule).toMatchObject({ enabled: false, next_run_at: null });
		const on = await json<{ schedule: Schedule }>(
			api("/api/schedules/standup/enable", { method: "POST", token: user.token }),
		);
		expect(on.schedule.enabled).toBe(true);
		expect(on.schedule.next_run_at).toBeGreaterThan(Date.now());

		expect((await api("/api/schedules/standup", { method: "DELETE", token: user.token })).status).toBe(204);
		expect((await api("/api/schedules/standup", { token: user.token })).status).toBe(404);
	});

	it("answers a bad cron with 400, the field and its position", async () => {
		const user = await newUser();
		const res = await create(user.token, { name: "bad", instruction: "x", cron: "0 9 * * 8" });
		expect(res.status).toBe(400);
		const { error } = await json<ErrorBody>(res);
		expect(error.code).toBe("validation_failed");
		expect(error.message).toContain("day of week");
		expect(error.details).toEqual({ field: "day of week", position: 9 });
	});

	it.each([
		[{ name: "x", instruction: "x" }],
		[{ name: "x", instruction: "x", every: "1h", cron: "0 * * * *" }],
		[{ name: "has space", instruction: "x", every: "1h" }],
		[{ name: "x", instruction: "", every: "1h" }],
		[{ name: "x", instruction: "x", every: "10s" }],
	])("refuses %j", async (body) => {
		const user = await newUser();
		expect((await create(user.token, body)).status).toBe(400);
	});

	it("keeps schedules per user: same name for two users, invisible to each other", async () => {
		const [a, b] = await Promise.all([newUser(), newUser()]);
		expect((await create(a.token, { name: "daily", instruction: "x", every: "1d" })).status).toBe(201);
		expect((await create(b.token, { name: "daily", instruction: "y", every: "1d" })).status).toBe(201);
		const bView = await json<{ schedule: Schedule }>(api("/api/schedules/daily", { token: b.token }));
		expect(bView.schedule.instruction).toBe("y");
	});

	it("runs now: one task carrying the schedule's name, timer untouched", async () => {
		const user = await newUser();
		const { schedule } = await json<{ schedule: Schedule }>(
			create(user.token, { name: "now", instruction: "what time is it", every: "1d" }),
		);
		const res = await api("/api/schedules/now/run", { method: "POST", token: user.token });
		expect(res.status).toBe(201);
		const { task } = await json<{ task: Task }>(res);
		expect(task.schedule_name).toBe("now");
		const after = await json<{ schedule: Schedule }>(api("/api/schedules/now", { token: user.token }));
		expect(after.schedule).toMatchObject({ last_task_id: task.id, next_run_at: schedule.next_run_at });
	});
});

describe("the cron handler", () => {
	it("creates exactly one task per due slot, even when the tick runs twice or concurrently", async () => {
		const user = await newUser();
		await create(user.token, { name: "often", instruction: "what time is it", every: "1m" });
		// Half a minute into a minute, so the later tick (a second on) stays in the same slot
		// whenever the test runs (a real clock a second before a minute's end crossed into the next).
		const now = Math.floor(Date.now() / 60_000) * 60_000 + 30_000;
		const slot = now - 30_000;
		await env.DB.prepare("UPDATE schedules SET next_run_at = ? WHERE user_id = ?").bind(slot, user.id).run();
		await Promise.all([tick(now), tick(now), runDueSchedules(depsFor(env), now)]);
		await tick(now + 1000);
		const tasks = await tasksOf(user.id, "often");
		expect(tasks).toHaveLength(1);
		expect(tasks[0]?.idempotency_key).toBe(
			`schedule:${(await env.DB.prepare("SELECT id FROM schedules WHERE user_id = ?").bind(user.id).first<{ id: string }>())?.id}:${slot}`,
		);
		const row = await env.DB.prepare("SELECT * FROM schedules WHERE user_id = ?")
			.bind(user.id)
			.first<{ next_run_at: number; last_task_id: string }>();
		expect(row?.next_run_at).toBeGreaterThan(now);
		expect(row?.last_task_id).toBe(tasks[0]?.id);
	});

	it("after downtime, runs a missed schedule once, not once per missed minute", async () => {
		const user = await newUser();
		await create(user.token, { name: "missed", instruction: "what time is it", every: "1m" });
		await env.DB.prepare("UPDATE schedules SET next_run_at = ? WHERE user_id = ?")
			.bind(Date.now() - 45 * 60_000, user.id)
			.run();
		// Half a minute into a minute, as above: ticks at Date.now() could straddle a minute's end,
		// and the second would then rightly run the new minute's slot.
		const now = Math.floor(Date.now() / 60_000) * 60_000 + 30_000;
		await tick(now);
		await tick(now + 100);
		expect(await tasksOf(user.id, "missed")).toHaveLength(1);
	});

	it("leaves disabled and not-yet-due schedules alone", async () => {
		const user = await newUser();
		await create(user.token, { name: "off", instruction: "x", every: "1m", enabled: false });
		await create(user.token, { name: "later", instruction: "y", every: "1d" });
		await tick(Date.now());
		expect(await tasksOf(user.id, "off")).toHaveLength(0);
		expect(await tasksOf(user.id, "later")).toHaveLength(0);
	});

	it("the scheduled task runs through the agent like any other", async () => {
		const user = await newUser();
		await create(user.token, { name: "run-me", instruction: "what time is it", every: "1m" });
		await env.DB.prepare("UPDATE schedules SET next_run_at = ? WHERE user_id = ?")
			.bind(Date.now() - 1000, user.id)
			.run();
		await tick(Date.now());
		const [task] = await tasksOf(user.id, "run-me");
		let status = "";
		for (let i = 0; i < 100 && status !== "succeeded"; i++) {
			status =
				(await env.DB.prepare("SELECT status FROM tasks WHERE id = ?").bind(task?.id).first<{ status: string }>())
					?.status ?? "";
			await new Promise((r) => setTimeout(r, 50));
		}
		expect(status).toBe("succeeded");
	});
});
