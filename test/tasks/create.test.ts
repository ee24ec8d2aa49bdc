// Creating a task: the open-task cap (checked inside the insert) and the queue send (recorded with it).
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { depsFor } from "../../src/deps.ts";
import { SparkyError } from "../../src/errors.ts";
import { sweepTasks } from "../../src/runner/sweep.ts";
import { OPEN_TASKS_OF_USER } from "../../src/storage/tasks.ts";
import { createTask } from "../../src/tasks/service.ts";
import { newUser } from "../support/api.ts";

const capped = { ...env, SPARKY_MAX_OPEN_TASKS: "2" } as Env;
const deps = depsFor(capped);

const add = (userId: string, instruction: string, idempotencyKey?: string) =>
	createTask(deps, { userId, instruction, allowDuplicates: true, ...(idempotencyKey ? { idempotencyKey } : {}) });

describe("the open-task cap", () => {
	it("is counted from the index of unfinished tasks, not by reading the user's whole history", async () => {
		const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${OPEN_TASKS_OF_USER}`)
			.bind("u")
			.all<{ detail: string }>();
		expect(results.map((r) => r.detail)).toEqual([expect.stringContaining("USING INDEX tasks_user_open")]);
	});

	it("refuses a task past the cap with a 409 naming it, replays an earlier key, and frees up as tasks end", async () => {
		const user = await newUser();
		const first = await add(user.id, "one", "key-1");
		expect(first.kind).toBe("created");
		expect((await add(user.id, "two")).kind).toBe("created");

		const refused = await add(user.id, "three").catch((error: unknown) => error);
		expect(refused).toBeInstanceOf(SparkyError);
		expect((refused as SparkyError).kind).toBe("conflict");
		expect(JSON.stringify((refused as SparkyError).details)).toContain("SPARKY_MAX_OPEN_TASKS");
		const open = await env.DB.prepare("SELECT count(*) AS n FROM tasks WHERE user_id = ?").bind(user.id).first<{
			n: number;
		}>();
		expect(open?.n).toBe(2);

		// A retried request with its Idempotency-Key still gets its task back at the cap.
		const replay = await add(user.id, "one", "key-1");
		expect(replay.kind).toBe("idempotent");

		// Another user is not affected by this one's cap.
		const other = await newUser();
		expect((await add(other.id, "three")).kind).toBe("created");

		// One task ends: there is room for one more.
		if (first.kind !== "created") throw new Error("unreachable");
		await env.DB.prepare("UPDATE tasks SET status = 'succeeded' WHERE id = ?").bind(first.task.id).run();
		expect((await add(user.id, "three")).kind).toBe("created");
		await expect(add(user.id, "four")).rejects.toBeInstanceOf(SparkyError);
	});
});

describe("a task whose queue send fails", () => {
	it("is kept with no enqueued_at, and the housekeeping sweep sends it", async () => {
		const user = await newUser();
		const failing = {
			...env,
			TASK_QUEUE: {
				send: async () => {
					throw new Error("queue unavailable");
				},
			},
		} as unknown as Env;
		const outcome = await createTask(depsFor(failing), {
			userId: user.id,
			instruction: "lost?",
			allowDuplicates: true,
		});
		if (outcome.kind !== "created") throw new Error(`expected a new task, got ${outcome.kind}`);
		const row = async () =>
			env.DB.prepare("SELECT status, enqueued_at FROM tasks WHERE id = ?")
				.bind(outcome.task.id)
				.first<{ status: string; enqueued_at: number | null }>();
		expect(await row()).toEqual({ status: "queued", enqueued_at: null });

		const sent: unknown[] = [];
		const working = { ...env, TASK_QUEUE: { send: async (body: unknown) => void sent.push(body) } } as unknown as Env;
		const { resent } = await sweepTasks(depsFor(working), Date.now() + 60 * 60_000);
		expect(resent).toBeGreaterThanOrEqual(1);
		expect(sent).toContainEqual({ task_id: outcome.task.id });
		expect((await row())?.enqueued_at).not.toBeNull();
	});

	it("records enqueued_at with the insert when the send works (no separate update)", async () => {
		const user = await newUser();
		const before = Date.now();
		const outcome = await createTask(deps, { userId: user.id, instruction: "sent", allowDuplicates: true });
		if (outcome.kind !== "created") throw new Error(`expected a new task, got ${outcome.kind}`);
		const stored = await env.DB.prepare("SELECT enqueued_at FROM tasks WHERE id = ?")
			.bind(outcome.task.id)
			.first<{ enqueued_at: number | null }>();
		expect(stored?.enqueued_at).toBeGreaterThanOrEqual(before);
	});
});
