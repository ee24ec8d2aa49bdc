import { EventSchemas } from "@ag-ui/core/schemas";
import { describe, expect, it } from "vitest";
import type { HubEvent, Task } from "../../src/protocol/index.ts";
import { adminToken, api, json, newUser, tokenFor } from "../support/api.ts";
import { connect, type SocketRecorder } from "../support/sockets.ts";

const isStatus = (e: HubEvent, status: string) =>
	e.type === "CUSTOM" && e.name === "sparky.task.status" && (e.value as { status: string }).status === status;

async function agentSocket(): Promise<SocketRecorder> {
	const { token } = await tokenFor("agent");
	const tab = await connect({ token });
	await tab.untilControl("session");
	return tab;
}

async function until(tab: SocketRecorder, taskId: string, status: string, timeoutMs = 15_000) {
	await tab.until(
		() => tab.events.some((e) => e.task_id === taskId && isStatus(e, status)),
		`task ${status}`,
		timeoutMs,
	);
}

describe("task pipeline (POST → queue → agent → hubs)", () => {
	it("runs a task with the demo model and streams every step to the agent and the creator", async () => {
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

		// Both hubs got the same events in the same order; the HTTP view matches.
		const agentIds = agentTab.events.filter((e) => e.task_id === task.id).map((e) => e.id);
		expect(agentIds).toEqual(mine.map((e) => e.id));
		const stored = await json<{ events: HubEvent[] }>(api(`/api/tasks/${task.id}/events`, { token: creator.token }));
		expect(stored.events.map((e) => e.id)).toEqual(mine.map((e) => e.id));

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
