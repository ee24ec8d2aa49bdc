import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { TaskStatus } from "../../src/protocol/index.ts";
import {
	dependenciesOf,
	dependencyEdges,
	failWaiting,
	insertDependencies,
	promoteIfReady,
	settledWaiting,
	waitingDependents,
} from "../../src/storage/dependencies.ts";
import { dbUser } from "../support/db.ts";
import { queuedTask, reload } from "../support/tasks.ts";

async function setStatus(id: string, status: TaskStatus): Promise<void> {
	await env.DB.prepare("UPDATE tasks SET status = ? WHERE id = ?").bind(status, id).run();
}

describe("storage: task dependencies", () => {
	it("records edges once and lists a task's dependencies oldest first, with their state", async () => {
		const user = await dbUser();
		const older = await queuedTask(user.id, { created_at: 1_000 });
		const newer = await queuedTask(user.id, { created_at: 2_000 });
		const task = await queuedTask(user.id, { status: "waiting", created_at: 3_000 });
		await insertDependencies(env.DB, task.id, [newer.id, older.id]);
		await insertDependencies(env.DB, task.id, [older.id]);
		await setStatus(newer.id, "failed");
		expect(await dependenciesOf(env.DB, task.id)).toEqual([
			{ id: older.id, status: "queued", error: null },
			{ id: newer.id, status: "failed", error: null },
		]);
		await insertDependencies(env.DB, task.id, []);
		expect(await dependenciesOf(env.DB, older.id)).toEqual([]);
	});

	it("finds the waiting tasks that depend on a task, not the others", async () => {
		const user = await dbUser();
		const dep = await queuedTask(user.id);
		const waiting = await queuedTask(user.id, { status: "waiting" });
		const moved = await queuedTask(user.id, { status: "waiting" });
		await insertDependencies(env.DB, waiting.id, [dep.id]);
		await insertDependencies(env.DB, moved.id, [dep.id]);
		await setStatus(moved.id, "queued");
		expect((await waitingDependents(env.DB, dep.id)).map((t) => t.id)).toEqual([waiting.id]);
	});

	it("promotes a waiting task only once every dependency succeeded, and only once", async () => {
		const user = await dbUser();
		const a = await queuedTask(user.id);
		const b = await queuedTask(user.id);
		const task = await queuedTask(user.id, { status: "waiting" });
		await insertDependencies(env.DB, task.id, [a.id, b.id]);
		await setStatus(a.id, "succeeded");
		expect(await promoteIfReady(env.DB, task.id, 50)).toBeNull();
		await setStatus(b.id, "succeeded");
		expect(await promoteIfReady(env.DB, task.id, 60)).toMatchObject({ id: task.id, status: "queued", updated_at: 60 });
		expect(await promoteIfReady(env.DB, task.id, 70)).toBeNull();
	});

	it("does not promote a task whose dependency is gone", async () => {
		const user = await dbUser();
		const dep = await queuedTask(user.id);
		const task = await queuedTask(user.id, { status: "waiting" });
		await insertDependencies(env.DB, task.id, [dep.id]);
		await env.DB.prepare("DELETE FROM tasks WHERE id = ?").bind(dep.id).run();
		expect(await promoteIfReady(env.DB, task.id, 1)).toBeNull();
		expect((await reload(task.id)).status).toBe("waiting");
	});

	it("fails a waiting task with its reason, and leaves a task that has moved on alone", async () => {
		const user = await dbUser();
		const task = await queuedTask(user.id, { status: "waiting" });
		expect(await failWaiting(env.DB, task.id, "dependency failed", 80)).toMatchObject({
			status: "failed",
			error: "dependency failed",
			active_fingerprint: null,
			finished_at: 80,
		});
		const queued = await queuedTask(user.id);
		expect(await failWaiting(env.DB, queued.id, "x", 90)).toBeNull();
		expect((await reload(queued.id)).status).toBe("queued");
	});

	it("finds waiting tasks with no pending dependency (the sweep's safety net)", async () => {
		const user = await dbUser();
		const done = await queuedTask(user.id);
		const pending = await queuedTask(user.id);
		const settled = await queuedTask(user.id, { status: "waiting" });
		const blocked = await queuedTask(user.id, { status: "waiting" });
		await insertDependencies(env.DB, settled.id, [done.id]);
		await insertDependencies(env.DB, blocked.id, [done.id, pending.id]);
		await setStatus(done.id, "cancelled");
		const ids = (await settledWaiting(env.DB, 1_000)).map((t) => t.id);
		expect(ids).toContain(settled.id);
		expect(ids).not.toContain(blocked.id);
		expect(await settledWaiting(env.DB, 1)).toHaveLength(1);
	});

	it("walks the graph's edges from the given tasks, bounded by maxNodes", async () => {
		const user = await dbUser();
		const c = await queuedTask(user.id);
		const b = await queuedTask(user.id);
		const a = await queuedTask(user.id);
		await insertDependencies(env.DB, a.id, [b.id]);
		await insertDependencies(env.DB, b.id, [c.id]);
		const edges = await dependencyEdges(env.DB, [a.id, a.id]);
		expect(Object.fromEntries(edges)).toEqual({ [a.id]: [b.id], [b.id]: [c.id], [c.id]: [] });
		const bounded = await dependencyEdges(env.DB, [a.id], 1);
		expect([...bounded.keys()]).toEqual([a.id]);
	});
});
