import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
	type Approval,
	CustomName,
	describeEventError,
	EventType,
	parseHubEvent,
	type Task,
	TypedHubEventSchema,
} from "../../src/protocol/index.ts";
import { ensureWorkspace } from "../../src/storage/workspace.ts";
import { api, json, newUser, notify } from "../support/api.ts";
import { connect } from "../support/sockets.ts";
import { deliver } from "../support/tasks.ts";

type TaskView = Task & { approvals: Approval[] };

async function createTask(token: string, instruction: string): Promise<TaskView> {
	const res = await api("/api/tasks", { token, body: { instruction, allow_duplicates: true } });
	expect(res.status).toBe(201);
	return (await json<{ task: TaskView }>(res)).task;
}

const view = async (token: string, id: string) =>
	(await json<{ task: TaskView }>(api(`/api/tasks/${id}`, { token }))).task;

/** A task's stored events as the HTTP API serves them, uninterpreted. */
const storedEvents = async (token: string, id: string) =>
	(await json<{ events: Record<string, unknown>[] }>(api(`/api/tasks/${id}/events?since=0&limit=1000`, { token })))
		.events;

const kindOf = (e: Record<string, unknown>) =>
	e.type === EventType.CUSTOM ? `CUSTOM ${String(e.name)}` : String(e.type);

describe("typed events: the union parses what the demo model's runs produce", () => {
	it("every stored and delivered event parses with the strict union: zero failures, zero unknown", async () => {
		const user = await newUser();
		const tab = await connect({ token: user.token });
		await tab.untilControl("session");
		await ensureWorkspace(env, user.id, Date.now());

		// A plain run: status changes, reasoning, tool calls, the answer.
		const plain = await createTask(user.token, "List files in the workspace and summarise README.md");
		await deliver(plain.id);
		expect((await view(user.token, plain.id)).status).toBe("succeeded");

		// A run that pauses for a person's approval, is approved, and runs on.
		const paused = await createTask(user.token, "Delete README.md");
		await deliver(paused.id);
		const waiting = await view(user.token, paused.id);
		expect(waiting.status).toBe("awaiting_approval");
		const approval = waiting.approvals.at(-1) as Approval;
		const decided = await api(`/api/tasks/${paused.id}/approvals/${approval.id}`, {
			token: user.token,
			body: { approved: true },
		});
		expect(decided.status).toBe(200);
		await deliver(paused.id);
		expect((await view(user.token, paused.id)).status).toBe("succeeded");

		// A chat (created, renamed) and an admin's notice: the user's own hub events.
		const chat = (await json<{ chat: { id: string } }>(api("/api/chats", { token: user.token, body: {} }))).chat;
		await api(`/api/chats/${chat.id}`, { token: user.token, method: "PATCH", body: { title: "Renamed" } });
		await notify(user.id, CustomName.notice, { text: "maintenance at noon" });
		await tab.until(
			() => tab.events.some((e) => e.type === EventType.CUSTOM && e.name === CustomName.notice),
			"the notice",
		);

		const events = [
			...(await storedEvents(user.token, plain.id)),
			...(await storedEvents(user.token, paused.id)),
			...tab.events,
		];
		expect(events.length).toBeGreaterThan(40);
		const failures = events.flatMap((e) => {
			const parsed = TypedHubEventSchema.safeParse(e);
			return parsed.success ? [] : [describeEventError(parsed.error, e)];
		});
		expect(failures).toEqual([]);
		const unknown = events.filter((e) => {
			const parsed = parseHubEvent(e);
			return !parsed.ok || parsed.event.type === "unknown";
		});
		expect(unknown).toEqual([]);

		// What the runs covered: every standard type Sparky sends in a run, and its own custom names.
		const kinds = new Set(events.map(kindOf));
		for (const kind of [
			"RUN_STARTED",
			"RUN_FINISHED",
			"REASONING_START",
			"REASONING_MESSAGE_START",
			"REASONING_MESSAGE_CONTENT",
			"REASONING_MESSAGE_END",
			"REASONING_END",
			"TOOL_CALL_START",
			"TOOL_CALL_ARGS",
			"TOOL_CALL_END",
			"TOOL_CALL_RESULT",
			"TEXT_MESSAGE_START",
			"TEXT_MESSAGE_CONTENT",
			"TEXT_MESSAGE_END",
			`CUSTOM ${CustomName.taskStatus}`,
			`CUSTOM ${CustomName.approvalRequested}`,
			`CUSTOM ${CustomName.approvalDecided}`,
			`CUSTOM ${CustomName.chat}`,
			`CUSTOM ${CustomName.notice}`,
		]) {
			expect(kinds, kind).toContain(kind);
		}
		tab.close();
	});
});
