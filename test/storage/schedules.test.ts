import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { newId } from "../../src/protocol/index.ts";
import {
	advanceSchedule,
	deleteSchedule,
	dueSchedules,
	getSchedule,
	insertSchedule,
	listSchedules,
	recordManualRun,
	type ScheduleRow,
	updateSchedule,
} from "../../src/storage/schedules.ts";
import { dbUser } from "../support/db.ts";

const schedule = (userId: string, name: string, overrides: Partial<ScheduleRow> = {}): ScheduleRow => ({
	id: newId("sch", 9),
	user_id: userId,
	name,
	instruction: `do ${name}`,
	metadata: null,
	every: "1h",
	cron: null,
	timezone: "UTC",
	enabled: 1,
	next_run_at: 10_000,
	last_run_at: null,
	last_task_id: null,
	created_at: 1_000,
	updated_at: 1_000,
	webhook: null,
	...overrides,
});

describe("storage: schedules", () => {
	it("inserts a schedule and reads it back by user and name", async () => {
		const user = await dbUser();
		const row = schedule(user.id, "daily");
		expect(await insertSchedule(env.DB, row, 10)).toEqual(row);
		expect(await getSchedule(env.DB, user.id, "daily")).toEqual(row);
		expect(await getSchedule(env.DB, user.id, "other")).toBeNull();
	});

	it("refuses a name the user already has (null, the first kept); another user may use it", async () => {
		const user = await dbUser();
		const other = await dbUser();
		const first = schedule(user.id, "daily");
		await insertSchedule(env.DB, first, 10);
		expect(await insertSchedule(env.DB, schedule(user.id, "daily", { instruction: "second" }), 10)).toBeNull();
		expect(await getSchedule(env.DB, user.id, "daily")).toEqual(first);
		expect(await insertSchedule(env.DB, schedule(other.id, "daily"), 10)).not.toBeNull();
	});

	it("refuses a schedule past the per-user cap, counting only that user's", async () => {
		const user = await dbUser();
		const other = await dbUser();
		await insertSchedule(env.DB, schedule(other.id, "x"), 10);
		expect(await insertSchedule(env.DB, schedule(user.id, "a"), 2)).not.toBeNull();
		expect(await insertSchedule(env.DB, schedule(user.id, "b"), 2)).not.toBeNull();
		expect(await insertSchedule(env.DB, schedule(user.id, "c"), 2)).toBeNull();
		expect(await getSchedule(env.DB, user.id, "c")).toBeNull();
		expect(await listSchedules(env.DB, user.id)).toHaveLength(2);
	});

	it("holds the cap when creates race", async () => {
		const user = await dbUser();
		const results = await Promise.all(
			["a", "b", "c", "d", "e", "f"].map((name) => insertSchedule(env.DB, schedule(user.id, name), 3)),
		);
		expect(results.filter((r) => r !== null)).toHaveLength(3);
		expect(await listSchedules(env.DB, user.id)).toHaveLength(3);
	});

	it("lists a user's schedules by name", async () => {
		const user = await dbUser();
		for (const name of ["weekly", "daily", "hourly"]) await insertSchedule(env.DB, schedule(user.id, name), 10);
		expect((await listSchedules(env.DB, user.id)).map((s) => s.name)).toEqual(["daily", "hourly", "weekly"]);
	});

	it("updates the editable fields, not the name or the run record", async () => {
		const user = await dbUser();
		const row = schedule(user.id, "daily");
		await insertSchedule(env.DB, row, 10);
		const changed = {
			...row,
			name: "renamed",
			instruction: "new",
			metadata: '{"k":1}',
			every: null,
			cron: "0 9 * * *",
			timezone: "Europe/Paris",
			enabled: 0,
			next_run_at: null,
			last_run_at: 77,
			updated_at: 2_000,
		};
		expect(await updateSchedule(env.DB, changed)).toEqual({ ...changed, name: "daily", last_run_at: null });
		expect(await updateSchedule(env.DB, { ...changed, id: "sch_missing" })).toBeNull();
	});

	it("deletes: true once, then false", async () => {
		const user = await dbUser();
		const row = schedule(user.id, "daily");
		await insertSchedule(env.DB, row, 10);
		expect(await deleteSchedule(env.DB, row.id)).toBe(true);
		expect(await deleteSchedule(env.DB, row.id)).toBe(false);
		expect(await getSchedule(env.DB, user.id, "daily")).toBeNull();
	});

	it("finds enabled schedules due by now, soonest first, capped by limit", async () => {
		const user = await dbUser();
		// Far in the future: other files' schedules (if any share the database) are not due.
		const base = 9_000_000_000_000;
		const rows = [
			schedule(user.id, "later", { next_run_at: base + 30 }),
			schedule(user.id, "first", { next_run_at: base + 10 }),
			schedule(user.id, "second", { next_run_at: base + 20 }),
			schedule(user.id, "off", { next_run_at: base + 5, enabled: 0 }),
			schedule(user.id, "never", { next_run_at: null }),
			schedule(user.id, "future", { next_run_at: base + 100 }),
		];
		for (const row of rows) await insertSchedule(env.DB, row, 10);
		const due = (await dueSchedules(env.DB, base + 30)).filter((s) => s.user_id === user.id);
		expect(due.map((s) => s.name)).toEqual(["first", "second", "later"]);
		const capped = await dueSchedules(env.DB, base + 30, 1);
		expect(capped).toHaveLength(1);
	});

	it("advances past a slot once: a second tick for the same slot changes nothing", async () => {
		const user = await dbUser();
		const row = schedule(user.id, "daily", { next_run_at: 10_000 });
		await insertSchedule(env.DB, row, 10);
		expect(await advanceSchedule(env.DB, row.id, 10_000, 20_000, 10_050, "task_1")).toBe(true);
		expect(await advanceSchedule(env.DB, row.id, 10_000, 20_000, 10_060, "task_2")).toBe(false);
		expect(await getSchedule(env.DB, user.id, "daily")).toMatchObject({
			next_run_at: 20_000,
			last_run_at: 10_050,
			last_task_id: "task_1",
			updated_at: 10_050,
		});
	});

	it("records a manual run without moving the next slot", async () => {
		const user = await dbUser();
		const row = schedule(user.id, "daily", { next_run_at: 10_000 });
		await insertSchedule(env.DB, row, 10);
		await recordManualRun(env.DB, row.id, 5_000, "task_m");
		expect(await getSchedule(env.DB, user.id, "daily")).toMatchObject({
			next_run_at: 10_000,
			last_run_at: 5_000,
			last_task_id: "task_m",
			updated_at: 5_000,
		});
	});
});
