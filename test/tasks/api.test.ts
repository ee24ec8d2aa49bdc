import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Task } from "../../src/protocol/index.ts";
import { adminToken, api, json, newUser, tokenFor } from "../support/api.ts";
import { queuedTask, reload } from "../support/tasks.ts";

type ErrorBody = { error: { code: string; message: string; details?: unknown } };

async function post(token: string, body: unknown, headers: Record<string, string> = {}) {
	return api("/api/tasks", { token, body, headers });
}

describe("POST /api/tasks", () => {
	it("needs a token", async () => {
		expect((await api("/api/tasks", { body: { instruction: "x" } })).status).toBe(401);
	});

	it.each([
		[{}, "instruction"],
		[{ instruction: "" }, "instruction"],
		[{ instruction: "x".repeat(8001) }, "instruction"],
		[{ instruction: "ok", max_attempts: 0 }, "max_attempts"],
		[{ instruction: "ok", max_attempts: 11 }, "max_attempts"],
		[{ instruction: "ok", metadata: "nope" }, "metadata"],
		[{ instruction: "ok", metadata: { big: "x".repeat(9000) } }, "metadata"],
		[{ instruction: "ok", chat_id: "../../x" }, "chat_id"],
		[{ instruction: "ok", surprise: true }, "(root)"],
	])("validates %j", async (body, path) => {
		const user = await newUser();
		const res = await post(user.token, body);
		expect(res.status).toBe(400);
		const { error } = await json<ErrorBody>(res);
		expect(error.code).toBe("validation_failed");
		expect((error.details as { path: string }[]).map((d) => d.path)).toContain(path);
	});

	it("the same Idempotency-Key gives the same task, not a second run", async () => {
		const user = await newUser();
		const body = { instruction: "write notes.md with: idempotent", allow_duplicates: true };
		const first = await post(user.token, body, { "Idempotency-Key": "k-1" });
		const second = await post(user.token, body, { "Idempotency-Key": "k-1" });
		expect(first.status).toBe(201);
		expect(second.status).toBe(200);
		expect(second.headers.get("Idempotent-Replayed")).toBe("true");
		const [a, b] = [await json<{ task: Task }>(first), await json<{ task: Task }>(second)];
		expect(b.task.id).toBe(a.task.id);
		const count = await env.DB.prepare("SELECT count(*) AS n FROM tasks WHERE user_id = ?")
			.bind(user.id)
			.first<{ n: number }>();
		expect(count?.n).toBe(1);
		// Another user may use the same key for their own task.
		const other = await newUser();
		expect((await post(other.token, body, { "Idempotency-Key": "k-1" })).status).toBe(201);
	});

	it("refuses a reused Idempotency-Key with a different task (422), and a malformed key (400)", async () => {
		const user = await newUser();
		await post(user.token, { instruction: "one" }, { "Idempotency-Key": "k-2" });
		const reused = await post(user.token, { instruction: "two" }, { "Idempotency-Key": "k-2" });
		expect(reused.status).toBe(422);
		const bad = await post(user.token, { instruction: "three" }, { "Idempotency-Key": "has space" });
		expect(bad.status).toBe(400);
	});

	it("refuses an identical active task with 409 unless duplicates are allowed", async () => {
		const user = await newUser();
		const original = await queuedTask(user.id, {
			instruction: "summarise README.md",
			fingerprint: "x",
			active_fingerprint: null,
		});
		// Give the queued row the fingerprint a POST would compute, so it counts as active.
		const { taskFingerprint } = await import("../../src/tasks/service.ts");
		const fp = await taskFingerprint("summarise README.md", { b: 2, a: 1 });
		await env.DB.prepare("UPDATE tasks SET fingerprint = ?, active_fingerprint = ? WHERE id = ?")
			.bind(fp, fp, original.id)
			.run();
		const dup = await post(user.token, { instruction: "summarise README.md", metadata: { a: 1, b: 2 } });
		expect(dup.status).toBe(409);
		expect((await json<ErrorBody>(dup)).error.details).toEqual({ task_id: original.id, status: "queued" });
		const allowed = await post(user.token, {
			instruction: "summarise README.md",
			metadata: { a: 1, b: 2 },
			allow_duplicates: true,
		});
		expect(allowed.status).toBe(201);
		// Different metadata is a different task.
		expect((await post(user.token, { instruction: "summarise README.md", metadata: { a: 2 } })).status).toBe(201);
	});

	it("lets an identical task in again once the first one finished", async () => {
		const user = await newUser();
		const { task } = await json<{ task: Task }>(post(user.token, { instruction: "what time is it now" }));
		for (let i = 0; i < 100 && (await reload(task.id)).status !== "succeeded"; i++)
			await new Promise((r) => setTimeout(r, 50));
		expect((await post(user.token, { instruction: "what time is it now" })).status).toBe(201);
	});
});

describe("reading and managing tasks", () => {
	it("lists newest first, pages with a cursor, filters by status", async () => {
		const user = await newUser();
		const ids: string[] = [];
		for (let i = 0; i < 5; i++) ids.push((await queuedTask(user.id, { created_at: 1_000 + i })).id);
		await env.DB.prepare("UPDATE tasks SET status = 'failed' WHERE id = ?").bind(ids[0]).run();

		const page1 = await json<{ tasks: Task[]; next_cursor: string }>(api("/api/tasks?limit=2", { token: user.token }));
		expect(page1.tasks.map((t) => t.id)).toEqual([ids[4], ids[3]]);
		const page2 = await json<{ tasks: Task[]; next_cursor: string }>(
			api(`/api/tasks?limit=2&cursor=${page1.next_cursor}`, { token: user.token }),
		);
		expect(page2.tasks.map((t) => t.id)).toEqual([ids[2], ids[1]]);
		const page3 = await json<{ tasks: Task[]; next_cursor: string | null }>(
			api(`/api/tasks?limit=2&cursor=${page2.next_cursor}`, { token: user.token }),
		);
		expect(page3.tasks.map((t) => t.id)).toEqual([ids[0]]);
		expect(page3.next_cursor).toBeNull();

		const failed = await json<{ tasks: Task[] }>(api("/api/tasks?status=failed", { token: user.token }));
		expect(failed.tasks.map((t) => t.id)).toEqual([ids[0]]);
		for (const q of ["status=bogus", "limit=0", "limit=101", "cursor=!!"]) {
			expect((await api(`/api/tasks?${q}`, { token: user.token })).status).toBe(400);
		}
	});

	it("lists the follow-ups of one task (parent_task_id), validated", async () => {
		const user = await newUser();
		const parent = await queuedTask(user.id);
		const a = await queuedTask(user.id, { parent_task_id: parent.id, depth: 1, created_at: 2_000 });
		const b = await queuedTask(user.id, { parent_task_id: parent.id, depth: 1, created_at: 2_001 });
		await queuedTask(user.id, { parent_task_id: a.id, depth: 2 });
		const page = await json<{ tasks: Task[] }>(api(`/api/tasks?parent_task_id=${parent.id}`, { token: user.token }));
		expect(page.tasks.map((t) => t.id)).toEqual([b.id, a.id]);
		expect(page.tasks.every((t) => t.parent_task_id === parent.id)).toBe(true);
		// Another user's follow-ups stay theirs.
		const other = await newUser();
		const none = await json<{ tasks: Task[] }>(api(`/api/tasks?parent_task_id=${parent.id}`, { token: other.token }));
		expect(none.tasks).toEqual([]);
		expect((await api("/api/tasks?parent_task_id=../x", { token: user.token })).status).toBe(400);
	});

	it("says who may cancel a task (can_cancel): its creator and admins, not the watching agent user", async () => {
		const user = await newUser();
		const task = await queuedTask(user.id);
		const read = async (token: string) =>
			(await json<{ task: Task }>(api(`/api/tasks/${task.id}`, { token }))).task.can_cancel;
		expect(await read(user.token)).toBe(true);
		expect(await read(adminToken())).toBe(true);
		const { token: agent } = await tokenFor("agent");
		expect(await read(agent)).toBe(false);
		expect((await api(`/api/tasks/${task.id}/cancel`, { method: "POST", token: agent })).status).toBe(403);
	});

	it("deletes a finished task, refuses an active one", async () => {
		const user = await newUser();
		const active = await queuedTask(user.id);
		expect((await api(`/api/tasks/${active.id}`, { method: "DELETE", token: user.token })).status).toBe(409);
		await env.DB.prepare("UPDATE tasks SET status = 'succeeded' WHERE id = ?").bind(active.id).run();
		expect((await api(`/api/tasks/${active.id}`, { method: "DELETE", token: user.token })).status).toBe(204);
		expect((await api(`/api/tasks/${active.id}`, { token: user.token })).status).toBe(404);
	});

	it("clears finished tasks by status and age, only the caller's", async () => {
		const [user, other] = await Promise.all([newUser(), newUser()]);
		const old = await queuedTask(user.id, { created_at: Date.parse("2026-01-01T00:00:00Z") });
		const recent = await queuedTask(user.id);
		const running = await queuedTask(user.id, { created_at: 5 });
		const theirs = await queuedTask(other.id, { created_at: 5 });
		for (const id of [old.id, recent.id, theirs.id]) {
			await env.DB.prepare("UPDATE tasks SET status = 'failed' WHERE id = ?").bind(id).run();
		}
		const cleared = await json<{ deleted: number }>(
			api("/api/tasks/clear", { token: user.token, body: { status: "failed", created_before: "2026-06-01" } }),
		);
		expect(cleared.deleted).toBe(1);
		expect((await api(`/api/tasks/${old.id}`, { token: user.token })).status).toBe(404);
		expect((await api(`/api/tasks/${recent.id}`, { token: user.token })).status).toBe(200);
		expect((await api(`/api/tasks/${running.id}`, { token: user.token })).status).toBe(200);
		const all = await json<{ deleted: number }>(api("/api/tasks/clear", { token: user.token, body: {} }));
		expect(all.deleted).toBe(1);
		expect(await reload(theirs.id)).toMatchObject({ status: "failed" });
		expect((await api("/api/tasks/clear", { token: user.token, body: { status: "running" } })).status).toBe(400);
	});

	it("reports the agent's status: counts, running tasks, queue age, failures, model", async () => {
		const user = await newUser();
		await queuedTask(user.id, { created_at: Date.now() - 60_000 });
		const failed = await queuedTask(user.id);
		await env.DB.prepare("UPDATE tasks SET status = 'failed', error = 'boom', finished_at = ? WHERE id = ?")
			.bind(Date.now(), failed.id)
			.run();
		const status = await json<{
			counts: Record<string, number>;
			oldest_queued_age_ms: number;
			recent_failures: { id: string; error: string }[];
			model: string;
			scope: string;
		}>(api("/api/agent/status", { token: user.token }));
		expect(status.counts).toMatchObject({ queued: 1, failed: 1, running: 0 });
		expect(status.oldest_queued_age_ms).toBeGreaterThanOrEqual(60_000);
		expect(status.recent_failures).toEqual([expect.objectContaining({ id: failed.id, error: "boom" })]);
		expect(status.model).toBe("demo");
		expect(status.scope).toBe("own");
	});
});
