import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { agentStatus } from "../../src/storage/agent-status.ts";
import { dbUser } from "../support/db.ts";
import { queuedTask } from "../support/tasks.ts";

async function set(id: string, fields: Record<string, string | number | null>): Promise<void> {
	const names = Object.keys(fields);
	await env.DB.prepare(`UPDATE tasks SET ${names.map((n) => `${n} = ?`).join(", ")} WHERE id = ?`)
		.bind(...Object.values(fields), id)
		.run();
}

describe("storage: agent status", () => {
	it("counts one user's tasks by status (every status present), with the running and failed ones", async () => {
		const user = await dbUser();
		const other = await dbUser();
		const oldQueued = await queuedTask(user.id, { created_at: 1_000 });
		await queuedTask(user.id, { created_at: 4_000 });
		const running = await queuedTask(user.id, { instruction: "run me" });
		await set(running.id, { status: "running", attempts: 2, started_at: 5_000 });
		const failedOld = await queuedTask(user.id);
		await set(failedOld.id, { status: "failed", error: "old", finished_at: 10 });
		const failedNew = await queuedTask(user.id);
		await set(failedNew.id, { status: "failed", error: "new", finished_at: 20 });
		await queuedTask(other.id, { created_at: 1 });

		const status = await agentStatus(env.DB, { kind: "own", userId: user.id }, 6_000);
		expect(status.counts).toEqual({ waiting: 0, queued: 2, running: 1, succeeded: 0, failed: 2, cancelled: 0 });
		expect(status.running).toEqual([
			{ id: running.id, user_id: user.id, attempt: 2, started_at: 5_000, instruction: "run me" },
		]);
		expect(status.oldest_queued_age_ms).toBe(6_000 - oldQueued.created_at);
		expect(status.recent_failures).toEqual([
			{ id: failedNew.id, user_id: user.id, error: "new", finished_at: 20 },
			{ id: failedOld.id, user_id: user.id, error: "old", finished_at: 10 },
		]);
	});

	it("has zero counts and no oldest age for a user with no tasks; the age is never negative", async () => {
		const user = await dbUser();
		expect(await agentStatus(env.DB, { kind: "own", userId: user.id }, 1)).toEqual({
			counts: { waiting: 0, queued: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 },
			running: [],
			oldest_queued_age_ms: null,
			recent_failures: [],
		});
		const future = await dbUser();
		await queuedTask(future.id, { created_at: 10_000 });
		expect((await agentStatus(env.DB, { kind: "own", userId: future.id }, 5_000)).oldest_queued_age_ms).toBe(0);
	});

	it("covers everyone without a user, and caps recent failures at 10", async () => {
		const users = [await dbUser(), await dbUser()];
		for (const [i, user] of users.entries()) {
			for (let n = 0; n < 6; n++) {
				const task = await queuedTask(user.id);
				await set(task.id, { status: "failed", error: `e${i}${n}`, finished_at: 9_000_000_000_000 + i * 10 + n });
			}
		}
		const status = await agentStatus(env.DB, { kind: "watch", userId: "agent" }, Date.now());
		expect(status.counts.failed).toBeGreaterThanOrEqual(12);
		expect(status.recent_failures).toHaveLength(10);
		expect(status.recent_failures.map((f) => f.error)).toEqual([
			"e15",
			"e14",
			"e13",
			"e12",
			"e11",
			"e10",
			"e05",
			"e04",
			"e03",
			"e02",
		]);
	});
});
