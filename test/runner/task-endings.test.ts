import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { cancelRunningTurn } from "../../src/chats/service.ts";
import { depsFor } from "../../src/deps.ts";
import { hubFor } from "../../src/hub/stub.ts";
import { type Approval, type Chat, newId } from "../../src/protocol/index.ts";
import { finish } from "../../src/runner/run-ending.ts";
import { RunEmitter } from "../../src/runner/run-events.ts";
import { runnerRelay } from "../../src/runner/run-task.ts";
import { sweepLeases, sweepTasks } from "../../src/runner/sweep.ts";
import { requestApproval, taskApprovals } from "../../src/storage/approvals.ts";
import { insertDependencies } from "../../src/storage/dependencies.ts";
import type { TaskRow } from "../../src/storage/tasks.ts";
import { decideApproval } from "../../src/tasks/approvals.ts";
import { cancelTask } from "../../src/tasks/service.ts";
import { newUser } from "../support/api.ts";
import { claimed, deliver, queuedTask, reload } from "../support/tasks.ts";

/*
 * Ways a task's run can end that the happy paths don't take: what happens between a run's
 * pause (its approval is stored and announced) and the end it records, and a chat's next turn
 * after a turn ended some other way than its run finishing.
 */

/** Deps whose queue sends are recorded instead of delivered (the test decides what runs). */
function recordingDeps() {
	const sent: unknown[] = [];
	const queue = { send: async (body: unknown) => void sent.push(body) };
	return { deps: depsFor({ ...env, TASK_QUEUE: queue } as unknown as Env), sent };
}

/** The approval a run's gate stores (and announces) before the run pauses. */
function pendingApproval(task: TaskRow): Promise<Approval> {
	const now = Date.now();
	return requestApproval(env.DB, {
		id: newId("apr", 12),
		task_id: task.id,
		chat_id: task.chat_id,
		user_id: task.user_id,
		tool_call_id: `${task.id}:${task.attempts}:call`,
		tool: "delete_file",
		input: { path: "README.md" },
		status: "pending",
		requested_at: now,
		expires_at: now + 3_600_000,
		decided_at: null,
		decided_by: null,
		reason: null,
	});
}

/** Records the end of a claimed task's run as the runner does (run-ending's finish): paused, or back for a retry. */
async function finishPaused(
	deps: ReturnType<typeof depsFor>,
	held: { row: TaskRow; owner: string },
	status: "awaiting_approval" | "queued" = "awaiting_approval",
) {
	const relay = runnerRelay(env);
	const events = new RunEmitter(relay, { stream: [held.row.user_id], summary: [] }, { task_id: held.row.id }, "r");
	const result = await finish(
		{ services: deps, task: held.row, owner: held.owner, events, transcript: undefined, now: Date.now },
		{ status, error: null },
	);
	await relay.close();
	return result;
}

const statusEvents = async (userId: string, taskId: string) =>
	(await hubFor(env, userId).taskEvents(taskId)).events
		.filter((e) => e.name === "sparky.task.status")
		.map((e) => (e.value as { status: string }).status);

describe("a run's pause, and what happened while it was pausing", () => {
	it("a decision made before the pause was recorded: the task goes back to the queue, not stuck paused", async () => {
		const user = await newUser();
		const held = await claimed(await queuedTask(user.id));
		const approval = await pendingApproval(held.row);
		// The client decides as soon as the approval is announced: the task is still `running`.
		const { deps, sent } = recordingDeps();
		await decideApproval(deps, held.row, approval.id, { approved: true }, { userId: user.id, role: "user" });
		expect((await reload(held.row.id)).status).toBe("running");
		expect(sent).toEqual([]);

		const result = await finishPaused(deps, held);
		expect(result).toEqual({ kind: "done", status: "queued" });
		expect(await reload(held.row.id)).toMatchObject({ status: "queued", lease_owner: null, finished_at: null });
		expect(sent).toEqual([{ task_id: held.row.id }]);
		expect((await statusEvents(user.id, held.row.id)).at(-1)).toBe("queued");
		// And it goes on: the approved call is found decided, the run finishes.
		await deliver(held.row.id, {}, 2);
		expect((await reload(held.row.id)).status).toBe("succeeded");
	});

	it("a pause still waiting for its decision stays paused", async () => {
		const user = await newUser();
		const held = await claimed(await queuedTask(user.id));
		await pendingApproval(held.row);
		const { deps, sent } = recordingDeps();
		expect(await finishPaused(deps, held)).toEqual({ kind: "done", status: "awaiting_approval" });
		expect(sent).toEqual([]);
	});

	it("a cancel requested while the run was pausing ends the task, closes its approval and lets dependents go", async () => {
		const user = await newUser();
		const held = await claimed(await queuedTask(user.id));
		const approval = await pendingApproval(held.row);
		const dependent = await queuedTask(user.id, { status: "waiting" });
		await insertDependencies(env.DB, dependent.id, [held.row.id]);
		const { deps } = recordingDeps();
		expect((await cancelTask(deps, held.row, Date.now(), user.id)).kind).toBe("cancelling");

		expect(await finishPaused(deps, held)).toEqual({ kind: "done", status: "cancelled" });
		const ended = await reload(held.row.id);
		expect(ended).toMatchObject({ status: "cancelled", error: "cancelled while running", active_fingerprint: null });
		expect(ended.finished_at).not.toBeNull();
		expect(await taskApprovals(env.DB, held.row.id)).toMatchObject([
			{ id: approval.id, status: "denied", reason: "the task was cancelled" },
		]);
		const { events } = await hubFor(env, user.id).taskEvents(held.row.id);
		expect(events.some((e) => e.id === `${approval.id}:denied`)).toBe(true);
		expect((await statusEvents(user.id, held.row.id)).at(-1)).toBe("cancelled");
		// Final: the dependent failed with it, and the approval can't be decided any more.
		expect((await reload(dependent.id)).status).toBe("failed");
		const late = await decideApproval(
			deps,
			ended,
			approval.id,
			{ approved: true },
			{ userId: user.id, role: "user" },
		).catch((e) => e);
		expect(late).toMatchObject({ kind: "conflict" });
	});

	it("a cancel requested while the run was going back for a retry ends it at once", async () => {
		const user = await newUser();
		const held = await claimed(await queuedTask(user.id));
		const { deps } = recordingDeps();
		await cancelTask(deps, held.row);
		expect(await finishPaused(deps, held, "queued")).toEqual({ kind: "done", status: "cancelled" });
	});

	it("the sweep resumes a paused task with nothing left to decide", async () => {
		const user = await newUser();
		const task = await queuedTask(user.id);
		const approval = await pendingApproval(task);
		// Paused, then decided by someone who stopped before resuming it.
		await env.DB.prepare("UPDATE tasks SET status = 'awaiting_approval' WHERE id = ?").bind(task.id).run();
		await env.DB.prepare("UPDATE approvals SET status = 'approved' WHERE id = ?").bind(approval.id).run();
		const { deps, sent } = recordingDeps();
		await sweepTasks(deps, Date.now());
		expect((await reload(task.id)).status).toBe("queued");
		expect(sent).toContainEqual({ task_id: task.id });
	});
});

describe("a chat's next turn", () => {
	/** Turn A paused for approval, turn B queued behind it (its message claimed nothing, and was acked). */
	async function blockedChat() {
		const user = await newUser();
		const chat: Chat = { id: newId("chat", 12), user_id: user.id, title: "t", created_at: 0, updated_at: 0 };
		const turn = { kind: "chat" as const, chat_id: chat.id, chat_user_id: user.id };
		const a = await claimed(await queuedTask(user.id, turn));
		await pendingApproval(a.row);
		await finishPaused(recordingDeps().deps, a);
		const b = await queuedTask(user.id, { ...turn, created_at: Date.now() + 1 });
		expect((await deliver(b.id)).explicitAcks).toHaveLength(1);
		expect((await reload(b.id)).status).toBe("queued");
		return { user, chat, a: a.row, b };
	}

	it("starts when the turn before it is cancelled while paused (chat.cancel)", async () => {
		const { chat, a, b } = await blockedChat();
		const { deps, sent } = recordingDeps();
		expect((await cancelRunningTurn(deps, chat))?.id).toBe(a.id);
		expect((await reload(a.id)).status).toBe("cancelled");
		expect(sent).toEqual([{ task_id: b.id }]);
	});

	it("starts when the sweep ends the turn before it (its runner died after a cancel)", async () => {
		const { a, b } = await blockedChat();
		await env.DB.prepare(
			"UPDATE tasks SET status = 'running', lease_owner = 'run_dead', lease_expires_at = 1, cancel_requested_at = 1 WHERE id = ?",
		)
			.bind(a.id)
			.run();
		const { deps, sent } = recordingDeps();
		await sweepLeases(deps, Date.now());
		expect((await reload(a.id)).status).toBe("cancelled");
		expect(sent).toContainEqual({ task_id: b.id });
	});
});
