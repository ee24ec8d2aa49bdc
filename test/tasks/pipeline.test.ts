import { EventSchemas } from "@ag-ui/core/schemas";
import { describe, expect, it } from "vitest";
import type { HubEvent, Task } from "../../src/protocol/index.ts";
import { inSummaryView } from "../../src/tasks/summary-view.ts";
import { adminToken, api, json, newUser, tokenFor } from "../support/api.ts";
import { connect, type SocketRecorder } from "../support/sockets.ts";

const isStatus = (e: HubEvent, status: string) =>
	e.type === "CUSTOM" && e.name === "sparky.task.status" && (e.value as { status: string }).status === status;

async function agentSocket(): Promise<SocketRecorder & { token: string }> {
	const { token } = await tokenFor("agent");
	const tab = await connect({ token });
	await tab.untilControl("session");
	return Object.assign(tab, { token });
}

async function until(tab: SocketRecorder, taskId: string, status: string, timeoutMs = 15_000) {
	await tab.until(
		() => tab.events.some((e) => e.task_id === taskId && isStatus(e, status)),
		`task ${status}`,
		timeoutMs,
	);
}

describe("task pipeline (POST → queue → agent → hubs)", () => {
	it("streams every step to the creator and a summary to the agent, whose full view is one read away", async () => {
		const creator = await newUser();
		const agentTab = await agentSocket();
		const creatorTab = await connect({ token: creator.token });
		await creatorTab.untilControl("session");

		const res = await api("/api/tasks", {
			token: creator.token,
			body: { instruction: "List files in the workspace and summarise README.md" },
		});
		expect(res.status).toBe(201);
		const { task } = await json<{ task: Task }>(res);
		expect(task).toMatchObject({ status: "queued", attempts: 0, user_id: creator.id });

		await until(creatorTab, task.id, "succeeded");
		await until(agentTab, task.id, "succeeded");
		const mine = creatorTab.events.filter((e) => e.task_id === task.id);
		const types = mine.map((e) => (e.type === "CUSTOM" ? `status:${(e.value as { status: string }).status}` : e.type));

		// The shape of the run, in order.
		expect(types[0]).toBe("status:queued");
		expect(types[1]).toBe("status:running");
		expect(types[2]).toBe("RUN_STARTED");
		expect(types.at(-2)).toBe("RUN_FINISHED");
		expect(types.at(-1)).toBe("status:succeeded");
		for (const t of [
			"REASONING_START",
			"REASONING_MESSAGE_CONTENT",
			"TOOL_CALL_START",
			"TOOL_CALL_ARGS",
			"TOOL_CALL_END",
			"TOOL_CALL_RESULT",
			"TEXT_MESSAGE_CONTENT",
		]) {
			expect(types).toContain(t);
		}
		const toolNames = mine.filter((e) => e.type === "TOOL_CALL_START").map((e) => e.toolCallName);
		expect(toolNames).toEqual(["list_files", "read_file"]);
		expect(mine.find((e) => e.type === "RUN_STARTED")?.model).toBe("demo");

		// Every agent event is a valid AG-UI event and carries the task and attempt.
		for (const event of mine) {
			expect(event.attempt ?? 0).toBeLessThanOrEqual(1);
			if (event.type !== "CUSTOM" || event.attempt) expect(event.attempt).toBe(1);
			const parsed = EventSchemas.safeParse(event);
			expect(parsed.success, `${event.type}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
		}

		// The agent's hub got the run's summary: the same events, in the same order, minus the
		// tokens (text, reasoning, tool arguments and results).
		const agentEvents = agentTab.events.filter((e) => e.task_id === task.id);
		// Each tool result it doesn't get is told as the call's end (`sparky.tool.ended`, right after).
		const expected = mine.flatMap((e) =>
			inSummaryView(e) ? [e.id] : e.type === "TOOL_CALL_RESULT" ? [`${e.id}:ended`] : [],
		);
		expect(agentEvents.map((e) => e.id)).toEqual(expected);
		const ended = agentEvents.filter((e) => e.type === "CUSTOM" && e.name === "sparky.tool.ended");
		expect(ended.map((e) => (e.value as { toolCallId: string }).toolCallId)).toEqual(
			mine.filter((e) => e.type === "TOOL_CALL_RESULT").map((e) => e.toolCallId),
		);
		const agentTypes = new Set(agentEvents.map((e) => e.type));
		for (const t of ["TEXT_MESSAGE_CONTENT", "REASONING_MESSAGE_CONTENT", "TOOL_CALL_ARGS", "TOOL_CALL_RESULT"]) {
			expect(agentTypes.has(t as never), t).toBe(false);
		}
		expect(agentEvents.filter((e) => e.type === "TOOL_CALL_START").map((e) => e.toolCallName)).toEqual([
			"list_files",
			"read_file",
		]);
		expect(agentEvents.length).toBeLessThan(mine.length / 2);

		// The HTTP view is the creator's whole stream, for the creator and the agent alike.
		for (const token of [creator.token, agentTab.token]) {
			const stored = await json<{ events: HubEvent[] }>(api(`/api/tasks/${task.id}/events`, { token }));
			expect(stored.events.map((e) => e.id)).toEqual(mine.map((e) => e.id));
		}

		const done = await json<{ task: Task }>(api(`/api/tasks/${task.id}`, { token: creator.token }));
		expect(done.task).toMatchObject({ status: "succeeded", attempts: 1, model: "demo", error: null });
		expect(done.task.result).toContain("README.md");
		expect(done.task.usage.total_tokens).toBeGreaterThan(0);
		agentTab.close();
		creatorTab.close();
	});

	it("never shows a user another user's task", async () => {
		const [alice, bob] = await Promise.all([newUser(), newUser()]);
		const bobTab = await connect({ token: bob.token });
		await bobTab.untilControl("session");
		const { task } = await json<{ task: Task }>(
			api("/api/tasks", { token: alice.token, body: { instruction: "what time is it" } }),
		);
		const aliceTab = await connect({ token: alice.token, since: 0 });
		await until(aliceTab, task.id, "succeeded");
		expect(bobTab.events.filter((e) => e.task_id === task.id)).toEqual([]);
		expect((await api(`/api/tasks/${task.id}`, { token: bob.token })).status).toBe(404);
		expect((await api(`/api/tasks/${task.id}/events`, { token: bob.token })).status).toBe(404);
		expect((await api(`/api/tasks/${task.id}/cancel`, { method: "POST", token: bob.token })).status).toBe(404);
		const bobList = await json<{ tasks: Task[] }>(api("/api/tasks", { token: bob.token }));
		expect(bobList.tasks.map((t) => t.id)).not.toContain(task.id);
		// The operator's views (agent user, admins) do see it.
		const adminView = await api(`/api/tasks/${task.id}`, { token: adminToken() });
		expect(adminView.status).toBe(200);
		aliceTab.close();
		bobTab.close();
	});
});

describe("following a task over HTTP (GET /api/tasks/:id/events?wait=)", () => {
	it("long-polls for the next events of a running task, and refuses a wait past 25 s", async () => {
		const creator = await newUser();
		const tab = await connect({ token: creator.token });
		await tab.untilControl("session");
		const { task } = await json<{ task: Task }>(
			api("/api/tasks", {
				token: creator.token,
				body: { instruction: "List files in the workspace", approve: ["list_files"] },
			}),
		);
		await until(tab, task.id, "awaiting_approval");
		const agent = await tokenFor("agent");
		const events = (since: number, wait: number) =>
			json<{ events: HubEvent[] }>(
				api(`/api/tasks/${task.id}/events?since=${since}&wait=${wait}`, { token: agent.token }),
			);
		const { events: sofar } = await events(0, 0);
		const last = sofar.at(-1)?.seq ?? 0;
		expect(last).toBeGreaterThan(0);

		// Nothing new while it waits: the poll answers empty after its wait.
		const quiet = Date.now();
		expect((await events(last, 1)).events).toEqual([]);
		expect(Date.now() - quiet).toBeGreaterThanOrEqual(900);

		// A poll in flight hears the approval's events as soon as they are stored.
		const polling = events(last, 20);
		const { approvals } = await json<{ approvals: { id: string }[] }>(api("/api/approvals", { token: creator.token }));
		const decided = await api(`/api/tasks/${task.id}/approvals/${approvals[0]?.id}`, {
			token: creator.token,
			body: { approved: true },
		});
		expect(decided.status).toBe(200);
		const next = (await polling).events;
		expect(next.length).toBeGreaterThan(0);
		expect(next.every((e) => e.seq > last)).toBe(true);
		expect(next.some((e) => e.type === "CUSTOM" && e.name === "sparky.approval.decided")).toBe(true);

		const tooLong = await api(`/api/tasks/${task.id}/events?wait=26`, { token: creator.token });
		expect(tooLong.status).toBe(400);
		await until(tab, task.id, "succeeded");
		tab.close();
	});
});
