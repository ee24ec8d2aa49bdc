import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { depsFor } from "../../src/deps.ts";
import { hubFor } from "../../src/hub/stub.ts";
import type { Approval, ControlMessage, Task, WireEvent } from "../../src/protocol/index.ts";
import { sweepLeases } from "../../src/runner/sweep.ts";
import { ensureWorkspace } from "../../src/storage/workspace.ts";
import { adminToken, api, json, newUser } from "../support/api.ts";
import { connect } from "../support/sockets.ts";
import { deliver, reload } from "../support/tasks.ts";

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
	await ensureWorkspace(env.DB, user.id, Date.now());
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
