import { createMessageBatch } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Task } from "../../src/protocol/index.ts";
import { consumeTasks } from "../../src/runner/consumer.ts";
import { api, json, newUser, tokenFor } from "../support/api.ts";
import { asResolution, flakyModel, providerError } from "../support/models.ts";
import { queuedTask, reload } from "../support/tasks.ts";

type ErrorBody = { error: { code: string; message: string; details?: unknown } };

const post = (token: string, body: Record<string, unknown>) => api("/api/tasks", { token, body });

/** Runs one task through the real consumer with a given model. */
async function run(taskId: string, model = asResolution(flakyModel(0, () => new Error("unused"), "ok"))) {
	await consumeTasks(
		createMessageBatch("sparky-tasks", [
			{ id: `m-${taskId}`, timestamp: Date.now(), attempts: 1, body: { task_id: taskId } },
		]),
		env,
		{ model },
	);
}

async function untilStatus(id: string, status: string) {
	for (let i = 0; i < 100 && (await reload(id)).status !== status; i++) await new Promise((r) => setTimeout(r, 50));
	return reload(id);
}

describe("task dependencies", () => {
	it("waits until every dependency succeeded, then is queued and runs", async () => {
		const user = await newUser();
		const [a, b] = [await queuedTask(user.id), await queuedTask(user.id)];
		const res = await post(user.token, { instruction: "what time is it", depends_on: [a.id, b.id, a.id] });
		expect(res.status).toBe(201);
		const { task } = await json<{ task: Task }>(res);
		expect(task.status).toBe("waiting");

		await run(a.id);
		expect((await reload(task.id)).status).toBe("waiting");
		await run(b.id);
		// Promoted and queued; the real consumer then runs it with the demo model.
		expect((await untilStatus(task.id, "succeeded")).status).toBe("succeeded");
	});

	it("fails when a dependency fails, saying which and why, and cascades", async () => {
		const user = await newUser();
		const a = await queuedTask(user.id, { max_attempts: 1 });
		const c = await json<{ task: Task }>(post(user.token, { instruction: "c", depends_on: [a.id] }));
		const d = await json<{ task: Task }>(post(user.token, { instruction: "d", depends_on: [c.task.id] }));
		await run(a.id, asResolution(flakyModel(9, () => providerError(401, "bad key"))));
		expect((await reload(a.id)).status).toBe("failed");
		const failedC = await reload(c.task.id);
		expect(failedC.status).toBe("failed");
		expect(failedC.error).toMatch(new RegExp(`^dependency ${a.id} failed: .*401`));
		expect((await reload(d.task.id)).error).toMatch(new RegExp(`^dependency ${c.task.id} failed`));
	});

	it("fails when a dependency is cancelled", async () => {
		const user = await newUser();
		const a = await queuedTask(user.id);
		const { task } = await json<{ task: Task }>(post(user.token, { instruction: "after a", depends_on: [a.id] }));
		await api(`/api/tasks/${a.id}/cancel`, { method: "POST", token: user.token });
		expect(await reload(task.id)).toMatchObject({
			status: "failed",
			error: expect.stringContaining(`dependency ${a.id} cancelled`),
		});
	});

	it("is queued at once when its dependencies already succeeded, failed at once when one already failed", async () => {
		const user = await newUser();
		const done = await queuedTask(user.id);
		await env.DB.prepare("UPDATE tasks SET status = 'succeeded' WHERE id = ?").bind(done.id).run();
		const ready = await json<{ task: Task }>(post(user.token, { instruction: "x", depends_on: [done.id] }));
		expect(ready.task.status).toBe("queued");
		const broken = await queuedTask(user.id);
		await env.DB.prepare("UPDATE tasks SET status = 'failed', error = 'boom' WHERE id = ?").bind(broken.id).run();
		const doomed = await json<{ task: Task }>(post(user.token, { instruction: "y", depends_on: [broken.id] }));
		expect(doomed.task).toMatchObject({ status: "failed", error: `dependency ${broken.id} failed: boom` });
	});

	it("refuses unknown ids, and other users' tasks, at creation", async () => {
		const [user, other] = await Promise.all([newUser(), newUser()]);
		const theirs = await queuedTask(other.id);
		const res = await post(user.token, { instruction: "x", depends_on: ["task_nope", theirs.id] });
		expect(res.status).toBe(400);
		const { error } = await json<ErrorBody>(res);
		expect(error.details).toEqual({ unknown: ["task_nope", theirs.id] });
		expect((await post(user.token, { instruction: "x", depends_on: [] })).status).toBe(400);
	});

	it("refuses, with a 403, a dependency the creator may see but not change (the agent user and others' tasks)", async () => {
		const owner = await newUser();
		const theirs = await queuedTask(owner.id);
		const { token: agentToken } = await tokenFor("agent");
		const ownDependency = await queuedTask("agent");
		const res = await post(agentToken, { instruction: "x", depends_on: [ownDependency.id, theirs.id] });
		expect(res.status).toBe(403);
		const { error } = await json<ErrorBody>(res);
		expect(error).toMatchObject({ code: "forbidden", message: expect.stringContaining(theirs.id) });
		expect(error.message).not.toContain(ownDependency.id);
		// Its own: fine.
		expect((await post(agentToken, { instruction: "x", depends_on: [ownDependency.id] })).status).toBe(201);
	});

	it("refuses a dependency graph with a cycle", async () => {
		const user = await newUser();
		const [a, b] = [await queuedTask(user.id), await queuedTask(user.id)];
		// A cycle can't be made through the API (dependencies are fixed at creation); plant
		// one in storage to prove the check catches it when a new task would depend on it.
		await env.DB.batch([
			env.DB.prepare("INSERT INTO task_dependencies (task_id, depends_on_id) VALUES (?, ?)").bind(a.id, b.id),
			env.DB.prepare("INSERT INTO task_dependencies (task_id, depends_on_id) VALUES (?, ?)").bind(b.id, a.id),
		]);
		const res = await post(user.token, { instruction: "x", depends_on: [a.id] });
		expect(res.status).toBe(400);
		expect((await json<ErrorBody>(res)).error.message).toContain("cycle");
	});

	it("keeps a finished task that a waiting task still depends on", async () => {
		const user = await newUser();
		const [a, b] = [await queuedTask(user.id), await queuedTask(user.id)];
		await env.DB.prepare("UPDATE tasks SET status = 'succeeded' WHERE id = ?").bind(a.id).run();
		const { task } = await json<{ task: Task }>(post(user.token, { instruction: "x", depends_on: [a.id, b.id] }));
		expect(task.status).toBe("waiting");
		expect((await api(`/api/tasks/${a.id}`, { method: "DELETE", token: user.token })).status).toBe(409);
		const cleared = await json<{ deleted: number }>(api("/api/tasks/clear", { token: user.token, body: {} }));
		expect(cleared.deleted).toBe(0);
	});

	it("the sweep settles a waiting task whose dependencies all ended without telling it", async () => {
		const user = await newUser();
		const a = await queuedTask(user.id);
		const { task } = await json<{ task: Task }>(
			post(user.token, { instruction: "what time is it", depends_on: [a.id] }),
		);
		// The dependency finished but the hand-off was lost (a crash between the two writes).
		await env.DB.prepare("UPDATE tasks SET status = 'succeeded' WHERE id = ?").bind(a.id).run();
		const { default: worker } = await import("../../src/index.ts");
		const { createScheduledController } = await import("cloudflare:test");
		await worker.scheduled(createScheduledController({ scheduledTime: Date.now() }), env);
		expect((await untilStatus(task.id, "succeeded")).status).toBe("succeeded");
	});
});
