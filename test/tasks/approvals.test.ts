import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { depsFor } from "../../src/deps.ts";
import { hubFor } from "../../src/hub/stub.ts";
import type { Approval, ControlMessage, Task, WireEvent } from "../../src/protocol/index.ts";
import { sweepLeases } from "../../src/runner/sweep.ts";
import { requestApproval } from "../../src/storage/approvals.ts";
import { appendMessages, loadCheckpoint, loadPolicy } from "../../src/storage/checkpoints.ts";
import { ensureWorkspace } from "../../src/storage/workspace.ts";
import { deliverClientResult } from "../../src/tasks/approvals.ts";
import { createTask as createTaskService } from "../../src/tasks/service.ts";
import { adminToken, api, json, newUser } from "../support/api.ts";
import { connect } from "../support/sockets.ts";
import { deliver, queuedTask, reload } from "../support/tasks.ts";

type TaskView = Task & { approvals: Approval[] };

/** Creates a task over the API (no queue race: the test delivers its message by hand). */
async function createTask(token: string, body: Record<string, unknown>): Promise<TaskView> {
	const res = await api("/api/tasks", { token, body: { allow_duplicates: true, ...body } });
	expect(res.status).toBe(201);
	return (await json<{ task: TaskView }>(res)).task;
}

async function view(token: string, id: string): Promise<TaskView> {
	return (await json<{ task: TaskView }>(api(`/api/tasks/${id}`, { token }))).task;
}

async function fileExists(userId: string, path: string): Promise<boolean> {
	const row = await env.DB.prepare("SELECT 1 AS x FROM workspace_files WHERE user_id = ? AND path = ?")
		.bind(userId, path)
		.first();
	return row !== null;
}

/** Runs the task until it pauses for approval; returns the pending approval. */
async function pausedAt(user: { id: string; token: string }, instruction: string, extra = {}) {
	await ensureWorkspace(env, user.id, Date.now());
	const task = await createTask(user.token, { instruction, ...extra });
	await deliver(task.id);
	const paused = await view(user.token, task.id);
	expect(paused.status).toBe("awaiting_approval");
	const approval = paused.approvals.at(-1) as Approval;
	expect(approval.status).toBe("pending");
	return { task: paused, approval };
}

const decide = (token: string, taskId: string, approvalId: string, body: Record<string, unknown>) =>
	api(`/api/tasks/${taskId}/approvals/${approvalId}`, { token, body });

describe("approvals", () => {
	it("pauses at a tool on the server's list (delete_file), holding no lease, and tells every hub", async () => {
		const user = await newUser();
		const { task, approval } = await pausedAt(user, "Delete README.md");
		expect(approval).toMatchObject({ tool: "delete_file", input: { path: "README.md" }, user_id: user.id });
		expect(approval.tool_call_id).toMatch(new RegExp(`^${task.id}:1:`));
		expect(approval.expires_at - approval.requested_at).toBe(24 * 3_600_000);
		const row = await reload(task.id);
		expect(row).toMatchObject({ lease_owner: null, lease_expires_at: null });
		expect(await fileExists(user.id, "README.md")).toBe(true);
		for (const hub of [user.id, "agent"]) {
			const { events } = await hubFor(env, hub).taskEvents(task.id);
			const requested = events.find((e) => e.name === "sparky.approval.requested") as WireEvent;
			expect((requested.value as { approval: Approval }).approval.id).toBe(approval.id);
			const finished = events.filter((e) => e.type === "RUN_FINISHED").at(-1) as WireEvent;
			expect(finished.outcome).toMatchObject({
				type: "interrupt",
				interrupts: [{ id: approval.id, reason: "tool_approval", toolCallId: approval.tool_call_id }],
			});
		}
		const pending = await json<{ approvals: Approval[] }>(api("/api/approvals", { token: user.token }));
		expect(pending.approvals.map((a) => a.id)).toEqual([approval.id]);
	});

	it("approved: the task goes back to the queue and the tool runs, once", async () => {
		const user = await newUser();
		const { task, approval } = await pausedAt(user, "Delete README.md");
		const res = await decide(user.token, task.id, approval.id, { approved: true });
		expect(res.status).toBe(200);
		expect((await json<{ approval: Approval }>(res)).approval).toMatchObject({
			status: "approved",
			decided_by: user.id,
		});
		expect((await reload(task.id)).status).toBe("queued");
		await deliver(task.id, {}, 2);
		const done = await view(user.token, task.id);
		expect(done.status).toBe("succeeded");
		expect(done.result).toContain("Deleted **README.md**");
		expect(await fileExists(user.id, "README.md")).toBe(false);
		// A paused run is not a failed attempt.
		expect(done.attempts).toBe(2);
		const { events } = await hubFor(env, user.id).taskEvents(task.id);
		expect(events.filter((e) => e.type === "TOOL_CALL_START").map((e) => e.toolCallName)).toEqual(["delete_file"]);
		expect(events.some((e) => e.name === "sparky.approval.decided")).toBe(true);
	});

	it("denied: the model is told who denied it and why, and carries on; nothing is deleted", async () => {
		const user = await newUser();
		const { task, approval } = await pausedAt(user, "Delete README.md");
		expect((await decide(user.token, task.id, approval.id, { approved: false, reason: "keep it" })).status).toBe(200);
		await deliver(task.id, {}, 2);
		const done = await view(user.token, task.id);
		expect(done.status).toBe("succeeded");
		expect(done.result).toContain(`denied by ${user.id}: keep it`);
		expect(await fileExists(user.id, "README.md")).toBe(true);
	});

	it("a second decision is a 409; a stranger's is a 404, the agent user's (it may only watch) a 403; an admin may decide", async () => {
		const [user, stranger] = await Promise.all([newUser(), newUser()]);
		const { task, approval } = await pausedAt(user, "Delete README.md");
		expect((await decide(stranger.token, task.id, approval.id, { approved: true })).status).toBe(404);
		const agent = await json<{ token: string }>(
			api("/api/users/agent/tokens", { token: adminToken(), body: { name: "approvals-test" } }),
		);
		expect((await decide(agent.token, task.id, approval.id, { approved: true })).status).toBe(403);
		// The API says beforehand who may decide (the page shows Approve only to them): can_decide.
		const view = async (token: string) =>
			(await json<{ task: Task & { approvals: Approval[] } }>(api(`/api/tasks/${task.id}`, { token }))).task;
		for (const [token, may] of [
			[user.token, true],
			[adminToken(), true],
			[agent.token, false],
		] as const) {
			const seen = await view(token);
			expect([seen.can_decide, seen.approvals[0]?.can_decide]).toEqual([may, may]);
		}
		const mine = await json<{ approvals: Approval[] }>(api("/api/approvals", { token: user.token }));
		expect(mine.approvals.map((a) => a.can_decide)).toEqual([true]);
		expect((await decide(adminToken(), task.id, approval.id, { approved: false })).status).toBe(200);
		const again = await decide(user.token, task.id, approval.id, { approved: true });
		expect(again.status).toBe(409);
		expect((await json<{ error: { code: string } }>(again)).error.code).toBe("conflict");
		expect((await decide(user.token, task.id, "apr_nope", { approved: true })).status).toBe(404);
		expect((await decide(user.token, task.id, approval.id, { approved: "yes" })).status).toBe(400);
	});

	it("a task may add tools to ask about; nothing removes the server's floor", async () => {
		const user = await newUser();
		const { approval } = await pausedAt(user, "Write notes.md with: hello", { approve: ["write_file"] });
		expect(approval.tool).toBe("write_file");
		expect(await fileExists(user.id, "notes.md")).toBe(false);
		// Without asking, write_file runs at once.
		const free = await createTask(user.token, { instruction: "Write other.md with: hi" });
		await deliver(free.id);
		expect((await reload(free.id)).status).toBe("succeeded");
	});

	it("an unanswered approval expires: the model is told, and the task goes on", async () => {
		const user = await newUser();
		const { task, approval } = await pausedAt(user, "Delete README.md");
		await env.DB.prepare("UPDATE approvals SET expires_at = ? WHERE id = ?")
			.bind(Date.now() - 1, approval.id)
			.run();
		await sweepLeases(depsFor(env), Date.now());
		const after = await view(user.token, task.id);
		expect(after.status).toBe("queued");
		expect(after.approvals[0]).toMatchObject({ status: "expired", decided_by: null });
		await deliver(task.id, {}, 2);
		const done = await view(user.token, task.id);
		expect(done.status).toBe("succeeded");
		expect(done.result).toContain("approval expired");
		expect(await fileExists(user.id, "README.md")).toBe(true);
	});

	it("cancelling a paused task ends it and closes its approval", async () => {
		const user = await newUser();
		const { task, approval } = await pausedAt(user, "Delete README.md");
		const res = await api(`/api/tasks/${task.id}/cancel`, { token: user.token, method: "POST" });
		expect(res.status).toBe(200);
		const after = await view(user.token, task.id);
		expect(after.status).toBe("cancelled");
		expect(after.error).toBe("cancelled while waiting for approval");
		expect(after.approvals[0]).toMatchObject({ id: approval.id, status: "denied", decided_by: user.id });
	});

	it("decides over the socket too (approval.decide, acked)", async () => {
		const user = await newUser();
		const { task, approval } = await pausedAt(user, "Delete README.md");
		const socket = await connect({ token: user.token });
		const answerTo = async (ref: string) => {
			await socket.until(() => socket.controls.some((c) => "ref" in c && c.ref === ref), `answer to ${ref}`);
			return socket.controls.find((c) => "ref" in c && c.ref === ref) as ControlMessage;
		};
		const frame = { type: "approval.decide", task_id: task.id, approval_id: approval.id };
		socket.send({ ...frame, id: "d1", approved: false, reason: "not now" });
		expect(await answerTo("d1")).toMatchObject({
			type: "ack",
			result: { approval: { status: "denied", reason: "not now", decided_by: user.id } },
		});
		socket.send({ ...frame, id: "d2", approved: true });
		expect(await answerTo("d2")).toMatchObject({ type: "error", code: "conflict" });
		socket.ws.close();
	});

	it("in a chat, a turn waiting for approval holds the chat's later turns behind it", async () => {
		const user = await newUser();
		const chat = (await json<{ chat: { id: string } }>(api("/api/chats", { token: user.token, body: {} }))).chat;
		const send = async (text: string) =>
			json<{ turn_id: string }>(api(`/api/chats/${chat.id}/messages`, { token: user.token, body: { text } }));
		const first = await send("Delete README.md");
		await deliver(first.turn_id);
		expect((await reload(first.turn_id)).status).toBe("awaiting_approval");
		const second = await send("What time is it?");
		await deliver(second.turn_id);
		expect((await reload(second.turn_id)).status).toBe("queued");
		const approval = (await view(user.token, first.turn_id)).approvals[0] as Approval;
		await decide(user.token, first.turn_id, approval.id, { approved: true });
		await deliver(first.turn_id, {}, 2);
		expect((await reload(first.turn_id)).status).toBe("succeeded");
		await deliver(second.turn_id, {}, 2);
		expect((await reload(second.turn_id)).status).toBe("succeeded");
	});
});

describe("issue #22: approvals that could be escaped", () => {
	/** The follow-up a task queued (its only one). */
	async function followUpOf(parentId: string) {
		return env.DB.prepare("SELECT * FROM tasks WHERE parent_task_id = ?").bind(parentId).first<{ id: string }>();
	}

	it("#22.2 a follow-up asks about what its parent asked about: it pauses before writing", async () => {
		const user = await newUser();
		await ensureWorkspace(env, user.id, Date.now());
		const parent = await createTask(user.token, {
			instruction: "Add a follow-up task: Write notes/fu.md with: escaped",
			approve: ["write_file"],
		});
		await deliver(parent.id);
		// The parent queues the follow-up (add_task isn't on its list), then pauses at its own write.
		expect((await view(user.token, parent.id)).status).toBe("awaiting_approval");
		const child = await followUpOf(parent.id);
		expect(child).not.toBeNull();
		const childId = (child as { id: string }).id;
		if ((await reload(childId)).status === "queued") await deliver(childId);
		const paused = await view(user.token, childId);
		expect(paused.status).toBe("awaiting_approval");
		expect(paused.approvals).toMatchObject([{ tool: "write_file", input: { path: "notes/fu.md" }, status: "pending" }]);
		expect(await fileExists(user.id, "notes/fu.md")).toBe(false);
		// Approved, it writes.
		await decide(user.token, childId, (paused.approvals[0] as Approval).id, { approved: true });
		await deliver(childId, {}, 2);
		expect((await reload(childId)).status).toBe("succeeded");
		expect(await fileExists(user.id, "notes/fu.md")).toBe(true);
	});

	it("#22.2 a follow-up's own approve list adds to its parent's, never replaces it", async () => {
		const user = await newUser();
		const parent = await queuedTask(user.id, {}, { approve: ["write_file", "http_fetch"] });
		const outcome = await createTaskService(depsFor(env), {
			userId: user.id,
			instruction: "a follow-up",
			parentTaskId: parent.id,
			depth: 1,
			approve: ["list_files", "write_file"],
		});
		expect((await loadPolicy(env.DB, outcome.task.id)).approve.sort()).toEqual(
			["http_fetch", "list_files", "write_file"].sort(),
		);
		// A follow-up of a follow-up too.
		const grandchild = await createTaskService(depsFor(env), {
			userId: user.id,
			instruction: "deeper",
			parentTaskId: outcome.task.id,
			depth: 2,
		});
		expect((await loadPolicy(env.DB, grandchild.task.id)).approve.sort()).toEqual(
			["http_fetch", "list_files", "write_file"].sort(),
		);
	});

	it("#22.3 a denied call never runs, though its tool left the approve list meanwhile", async () => {
		const user = await newUser();
		const { task, approval } = await pausedAt(user, "Write denied.md with: no", { approve: ["write_file"] });
		// The list the next attempt builds no longer has the tool (as when an MCP server's
		// approval becomes `never`, or its tool is re-listed as read-only).
		await env.DB.prepare("UPDATE task_checkpoints SET approve = NULL WHERE task_id = ?").bind(task.id).run();
		expect((await decide(user.token, task.id, approval.id, { approved: false, reason: "no" })).status).toBe(200);
		await deliver(task.id, {}, 2);
		const done = await view(user.token, task.id);
		expect(done.status).toBe("succeeded");
		expect(done.result).toContain(`denied by ${user.id}: no`);
		expect(await fileExists(user.id, "denied.md")).toBe(false);
	});

	it("#22 bound: an expired approval can't be decided (HTTP 409 approval_expired, socket error frame); the call never runs", async () => {
		const user = await newUser();
		const { task, approval } = await pausedAt(user, "Delete README.md");
		await env.DB.prepare("UPDATE approvals SET expires_at = ? WHERE id = ?")
			.bind(Date.now() - 1, approval.id)
			.run();
		// No sweep has run: the decision itself sees the time.
		const res = await decide(user.token, task.id, approval.id, { approved: true });
		expect(res.status).toBe(409);
		const body = await json<{ error: { code: string; details: { status: string } } }>(res);
		expect(body.error).toMatchObject({ code: "approval_expired", details: { status: "expired" } });
		const after = await view(user.token, task.id);
		expect(after.approvals[0]).toMatchObject({ status: "expired", decided_by: null });
		// Expired there and then: the task goes on, the model is told, nothing is deleted.
		expect(after.status).toBe("queued");
		// Deciding again (now that it is stored as expired) says the same.
		const again = await decide(user.token, task.id, approval.id, { approved: true });
		expect((await json<{ error: { code: string } }>(again)).error.code).toBe("approval_expired");
		await deliver(task.id, {}, 2);
		const done = await view(user.token, task.id);
		expect(done.status).toBe("succeeded");
		expect(done.result).toContain("approval expired");
		expect(await fileExists(user.id, "README.md")).toBe(true);

		// Over the socket: the same refusal as an error frame.
		const second = await pausedAt(user, "Delete README.md");
		await env.DB.prepare("UPDATE approvals SET expires_at = ? WHERE id = ?")
			.bind(Date.now() - 1, second.approval.id)
			.run();
		const socket = await connect({ token: user.token });
		socket.send({
			type: "approval.decide",
			id: "x1",
			task_id: second.task.id,
			approval_id: second.approval.id,
			approved: true,
		});
		await socket.until(() => socket.controls.some((c) => "ref" in c && c.ref === "x1"), "answer to x1");
		expect(socket.controls.find((c) => "ref" in c && c.ref === "x1")).toMatchObject({
			type: "error",
			code: "approval_expired",
		});
		socket.ws.close();
		expect((await view(user.token, second.task.id)).approvals[0]).toMatchObject({ status: "expired" });
	});

	it("an approval id of another task can't be decided through yours, nor through the socket", async () => {
		const [user, other] = await Promise.all([newUser(), newUser()]);
		const mine = await pausedAt(user, "Delete README.md");
		const theirs = await pausedAt(other, "Delete README.md");
		// Their approval id under my task: not found; their task: not found.
		expect((await decide(user.token, mine.task.id, theirs.approval.id, { approved: true })).status).toBe(404);
		expect((await decide(user.token, theirs.task.id, theirs.approval.id, { approved: true })).status).toBe(404);
		const socket = await connect({ token: user.token });
		socket.send({
			type: "approval.decide",
			id: "y1",
			task_id: mine.task.id,
			approval_id: theirs.approval.id,
			approved: true,
		});
		await socket.until(() => socket.controls.some((c) => "ref" in c && c.ref === "y1"), "answer to y1");
		expect(socket.controls.find((c) => "ref" in c && c.ref === "y1")).toMatchObject({
			type: "error",
			code: "not_found",
		});
		socket.ws.close();
		expect((await view(other.token, theirs.task.id)).approvals[0]).toMatchObject({ status: "pending" });
	});
});

describe("issue #22: a client tool's result", () => {
	async function waitingClientCall(user: { id: string }, expiresAt: number) {
		const task = await queuedTask(user.id);
		const runId = `${task.id}:1`;
		await appendMessages(
			env.DB,
			task.id,
			0,
			[
				{
					runId,
					message: {
						role: "assistant",
						content: [{ type: "tool-call", toolCallId: "c1", toolName: "confirm", input: {} }],
					},
				},
			],
			{ steps: 1, inputTokens: 0, outputTokens: 0, runMs: 0 },
			Date.now(),
		);
		const call = await requestApproval(
			env.DB,
			{
				id: `apr_${task.id.slice(-10)}`,
				task_id: task.id,
				chat_id: null,
				user_id: user.id,
				tool_call_id: `${runId}:c1`,
				tool: "confirm",
				input: {},
				status: "pending",
				requested_at: expiresAt - 3_600_000,
				expires_at: expiresAt,
				decided_at: null,
				decided_by: null,
				reason: null,
			},
			"client_tool",
		);
		return { task, call };
	}

	it("arriving past the call's time is refused (approval_expired) and written nowhere; a second delivery too", async () => {
		const user = await newUser();
		const late = await waitingClientCall(user, Date.now() - 1);
		const error = await deliverClientResult(depsFor(env), late.task, late.call, "yes", user.id).catch((e) => e);
		expect(error).toMatchObject({ code: "approval_expired" });
		expect((await loadCheckpoint(env.DB, late.task.id)).messages).toHaveLength(1);

		const onTime = await waitingClientCall(user, Date.now() + 3_600_000);
		await deliverClientResult(depsFor(env), onTime.task, onTime.call, "yes", user.id);
		const twice = await deliverClientResult(depsFor(env), onTime.task, onTime.call, "again", user.id).catch((e) => e);
		expect(twice).toMatchObject({ kind: "conflict" });
		expect((await loadCheckpoint(env.DB, onTime.task.id)).messages).toHaveLength(2);
	});
});
