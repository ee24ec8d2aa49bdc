// The event log's rows: one per publish, named by its thread when all its events share one,
// `*` when they don't; a task's read takes only that task's events from a mixed row.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { hubFor } from "../../src/hub/stub.ts";
import { newUser } from "../support/api.ts";
import { readLog } from "../support/hub.ts";

const ev = (id: string, thread: { task_id?: string; chat_id?: string } = {}) => ({
	type: "CUSTOM",
	name: "test",
	id,
	value: id,
	...thread,
});

describe("event log rows", () => {
	it("stores a publish that mixes threads as one row and reads each thread's events out of it", async () => {
		const user = await newUser();
		const hub = hubFor(env, user.id);
		await hub.publish([ev("warm")]); // the first publish after a wake reads the tail once
		const before = await hub.diagnostics();
		await hub.publish([
			ev("a1", { task_id: "task_a" }),
			ev("b1", { task_id: "task_b", chat_id: "chat_x" }),
			ev("n1"),
			ev("a2", { task_id: "task_a" }),
			ev("b2", { task_id: "task_b", chat_id: "chat_x" }),
		]);
		const after = await hub.diagnostics();
		expect(after.rows_written - before.rows_written).toBe(1);
		expect(after.events_stored - before.events_stored).toBe(5);

		const ids = async (taskId: string, since = 0) => (await hub.taskEvents(taskId, since)).events.map((e) => e.id);
		expect(await ids("task_a")).toEqual(["a1", "a2"]);
		expect(await ids("task_b")).toEqual(["b1", "b2"]);
		expect(await ids("task_c")).toEqual([]);
		// From a cursor inside the row: only what comes after it.
		const a1 = (await hub.taskEvents("task_a", 0)).events[0]?.seq ?? 0;
		expect(await ids("task_a", a1)).toEqual(["a2"]);
		// The whole log in seq order, as published.
		const all = (await readLog(env, user.id)).events.map((e) => e.id);
		expect(all).toEqual(["warm", "a1", "b1", "n1", "a2", "b2"]);
	});

	it("names the task on a row whose events all share it", async () => {
		const user = await newUser();
		const hub = hubFor(env, user.id);
		await hub.publish([ev("t1", { task_id: "task_t" }), ev("t2", { task_id: "task_t" })]);
		await hub.publish([ev("u1", { task_id: "task_u" })]);
		expect((await hub.taskEvents("task_t", 0)).events.map((e) => e.id)).toEqual(["t1", "t2"]);
		expect((await hub.taskEvents("task_u", 0)).events.map((e) => e.id)).toEqual(["u1"]);
	});
});
