import { randomUUID } from "node:crypto";
import { type BaseEvent, EventType, type Message, parseSSEStream, runHttpRequest, verifyEvents } from "@ag-ui/client";
import { lastValueFrom, toArray } from "rxjs";
import { describe, expect, it } from "vitest";
import { agentFor, api, endpoint, newUser, server, userMessage } from "./support/sparky.ts";
import { warnings } from "./support/warnings.ts";

/** Runs the agent once with the client's default verification; returns every event it applied. */
async function run(
	agent: ReturnType<typeof agentFor>,
	params: Parameters<ReturnType<typeof agentFor>["runAgent"]>[0] = {},
) {
	const events: BaseEvent[] = [];
	const result = await agent.runAgent(params, { onEvent: ({ event }) => void events.push(event) });
	return { events, result };
}

const types = (events: BaseEvent[]) => events.map((e) => e.type);
const lastAssistantText = (messages: Message[]) =>
	[...messages].reverse().find((m) => m.role === "assistant" && typeof m.content === "string" && m.content)
		?.content as string;

function expectValidRun(events: BaseEvent[]) {
	expect(events[0]?.type).toBe(EventType.RUN_STARTED);
	expect([EventType.RUN_FINISHED, EventType.RUN_ERROR]).toContain(events.at(-1)?.type);
	for (const e of events) {
		for (const field of ["seq", "id", "ts", "task_id", "attempt", "chat_id", "model"])
			expect(e).not.toHaveProperty(field);
		expect(typeof e.timestamp).toBe("number");
	}
}

describe("POST /api/ag-ui with the real @ag-ui/client HttpAgent", () => {
	it("a plain run: one valid run, the answer streamed, no client warnings", async () => {
		const user = await newUser();
		const agent = agentFor(user.token);
		agent.addMessage(userMessage("hello there"));
		const { events } = await run(agent);
		expectValidRun(events);
		expect(types(events)).toContain(EventType.TEXT_MESSAGE_CONTENT);
		expect(lastAssistantText(agent.messages)).toContain("demo model");
		expect(warnings).toEqual([]);
		// The thread is a chat of the caller's, in the list; its thread id reaches it (thread ids are per user).
		const { chats } = await api<{ chats: { id: string }[] }>(user.token, "/api/chats");
		const { chat } = await api<{ chat: { id: string } }>(user.token, `/api/chats/${agent.threadId}`);
		expect(chats.map((c) => c.id)).toEqual([chat.id]);
	});

	it("a run with Sparky's tools: the call, its result and the answer", async () => {
		const user = await newUser();
		const agent = agentFor(user.token);
		agent.addMessage(userMessage("what time is it"));
		const { events } = await run(agent);
		expectValidRun(events);
		const start = events.find((e) => e.type === EventType.TOOL_CALL_START) as BaseEvent & { toolCallName: string };
		expect(start.toolCallName).toBe("current_time");
		expect(types(events)).toContain(EventType.TOOL_CALL_RESULT);
		expect(types(events)).toContain(EventType.CUSTOM); // Sparky's status changes, inside the run
		expect(lastAssistantText(agent.messages)).toMatch(/^It is /);
		expect(warnings).toEqual([]);
	});

	it("a thread that continues: only the new message makes a turn", async () => {
		const user = await newUser();
		const agent = agentFor(user.token);
		agent.addMessage(userMessage("what time is it"));
		await run(agent);
		agent.addMessage(userMessage("list files"));
		const { events } = await run(agent);
		expectValidRun(events);
		expect(lastAssistantText(agent.messages)).toMatch(/workspace has/);
		const history = await api<{ messages: { role: string; content: string }[] }>(
			user.token,
			`/api/chats/${agent.threadId}/messages`,
		);
		expect(history.messages.filter((m) => m.role === "user").map((m) => m.content)).toEqual([
			"what time is it",
			"list files",
		]);
		expect(warnings).toEqual([]);
	});

	it("a client-side tool: the run ends after the call, the next run carries its result", async () => {
		const user = await newUser();
		const agent = agentFor(user.token);
		const tools = [
			{
				name: "confirm",
				description: "Ask the person to confirm",
				parameters: { type: "object", properties: { ok: { type: "boolean" } } },
			},
		];
		agent.addMessage(userMessage('use the confirm tool with {"ok": true}'));
		const first = await run(agent, { tools });
		expectValidRun(first.events);
		const finished = first.events.at(-1) as BaseEvent & { outcome?: { type: string } };
		expect(finished.type).toBe(EventType.RUN_FINISHED);
		expect(finished.outcome?.type).toBe("success");
		expect(types(first.events)).not.toContain(EventType.TOOL_CALL_RESULT);
		const call = agent.messages.flatMap((m) => (m.role === "assistant" ? (m.toolCalls ?? []) : [])).at(-1);
		expect(call?.function.name).toBe("confirm");
		expect(JSON.parse(call?.function.arguments ?? "")).toEqual({ ok: true });

		agent.addMessage({ id: randomUUID(), role: "tool", toolCallId: call?.id as string, content: "confirmed by Ada" });
		const second = await run(agent, { tools });
		expectValidRun(second.events);
		expect(lastAssistantText(agent.messages)).toContain("confirmed by Ada");
		expect(warnings).toEqual([]);
	});

	for (const approved of [true, false]) {
		it(`approvals as interrupts: ${approved ? "approve" : "deny"} through resume`, async () => {
			const user = await newUser();
			const agent = agentFor(user.token);
			agent.addMessage(userMessage("write notes.md with: from the AG-UI client"));
			const first = await run(agent, { forwardedProps: { sparky: { approve: ["write_file"] } } });
			expectValidRun(first.events);
			const finished = first.events.at(-1) as BaseEvent & {
				outcome?: { type: string; interrupts: { id: string; reason: string; toolCallId: string }[] };
			};
			expect(finished.outcome?.type).toBe("interrupt");
			const interrupt = finished.outcome?.interrupts[0];
			expect(interrupt?.reason).toBe("tool_approval");
			expect(agent.pendingInterrupts.map((i) => i.id)).toEqual([interrupt?.id]);

			const resume = approved
				? [{ interruptId: interrupt?.id as string, status: "resolved" as const, payload: { approved: true } }]
				: [{ interruptId: interrupt?.id as string, status: "cancelled" as const }];
			const second = await run(agent, { resume });
			expectValidRun(second.events);
			const result = second.events.find((e) => e.type === EventType.TOOL_CALL_RESULT) as BaseEvent & {
				toolCallId: string;
				content: string;
			};
			expect(result.toolCallId).toBe(interrupt?.toolCallId);
			if (approved) expect(lastAssistantText(agent.messages)).toContain("Created **notes.md**");
			else expect(lastAssistantText(agent.messages)).toContain("denied");
			expect(warnings).toEqual([]);
		});
	}

	it("bad input is a 400 in Sparky's error shape, before any stream", async () => {
		const user = await newUser();
		const post = (body: unknown) =>
			fetch(endpoint(), {
				method: "POST",
				headers: { Authorization: `Bearer ${user.token}`, "Content-Type": "application/json" },
				body: JSON.stringify(body),
			});
		for (const body of [
			{},
			{ threadId: "t1", runId: "r1" },
			{ threadId: "not a valid id!", runId: "r1", messages: [] },
			{ threadId: "t1", runId: "r1", messages: [], tools: [{ name: "read_file", description: "mine" }] },
			{ threadId: "t1", runId: "r1", messages: [], forwardedProps: { sparky: { approve: "write_file" } } },
		]) {
			const res = await post(body);
			expect(res.status).toBe(400);
			expect(res.headers.get("Content-Type")).toContain("application/json");
			const json = (await res.json()) as { error: { code: string; message: string } };
			expect(typeof json.error.code).toBe("string");
		}
		const broken = await fetch(endpoint(), {
			method: "POST",
			headers: { Authorization: `Bearer ${user.token}` },
			body: "{not json",
		});
		expect(broken.status).toBe(400);
	});

	it("someone else's thread id is a thread of one's own (theirs untouched); no or a bad token is a 401", async () => {
		const alice = await newUser();
		const bob = await newUser();
		const agent = agentFor(alice.token);
		agent.addMessage(userMessage("hello"));
		await run(agent);
		const body = JSON.stringify({ threadId: agent.threadId, runId: randomUUID(), messages: [userMessage("hi")] });
		const asBob = await fetch(endpoint(), {
			method: "POST",
			headers: { Authorization: `Bearer ${bob.token}`, "Content-Type": "application/json" },
			body,
		});
		expect(asBob.status).toBe(200);
		await asBob.text();
		const aliceHistory = await api<{ messages: { role: string; content: string }[] }>(
			alice.token,
			`/api/chats/${agent.threadId}/messages`,
		);
		expect(aliceHistory.messages.filter((m) => m.role === "user").map((m) => m.content)).toEqual(["hello"]);
		const none = await fetch(endpoint(), { method: "POST", headers: { "Content-Type": "application/json" }, body });
		expect(none.status).toBe(401);
		expect(((await none.json()) as { error: { code: string } }).error.code).toBeTruthy();
		const bad = await fetch(endpoint(), {
			method: "POST",
			headers: { Authorization: "Bearer nope", "Content-Type": "application/json" },
			body,
		});
		expect(bad.status).toBe(401);
		// The same through the client: its run fails with the status.
		const intruder = agentFor("nope", agent.threadId);
		intruder.addMessage(userMessage("hi"));
		await expect(intruder.runAgent()).rejects.toThrow(/401/);
		warnings.length = 0; // the client logs the failed run itself
	});

	it("re-attach mid-run with Last-Event-ID: the rest of the run, nothing twice", async () => {
		const user = await newUser();
		const threadId = randomUUID();
		const runId = randomUUID();
		const messages = [userMessage("list files and what time is it")];
		const input = { threadId, runId, messages, tools: [], context: [], state: {}, forwardedProps: {} };
		// A raw client reads part of the run, then its connection breaks.
		const controller = new AbortController();
		const res = await fetch(endpoint(), {
			method: "POST",
			headers: { Authorization: `Bearer ${user.token}`, "Content-Type": "application/json" },
			body: JSON.stringify(input),
			signal: controller.signal,
		});
		expect(res.headers.get("Content-Type")).toContain("text/event-stream");
		const reader = (res.body as ReadableStream<Uint8Array>).getReader();
		const decoder = new TextDecoder();
		let buffer = "";
		let lastId: string | undefined;
		const before: (BaseEvent & Record<string, unknown>)[] = [];
		while (!before.some((e) => e.type === EventType.REASONING_MESSAGE_CONTENT) || before.length < 12) {
			const { value, done } = await reader.read();
			if (done) break;
			buffer += decoder.decode(value, { stream: true });
			const blocks = buffer.split("\n\n");
			buffer = blocks.pop() ?? "";
			for (const block of blocks) {
				const lines = block.split("\n");
				const data = lines.find((l) => l.startsWith("data: "));
				const id = lines.find((l) => l.startsWith("id: "));
				if (id) lastId = id.slice(4);
				if (data) before.push(JSON.parse(data.slice(6)));
			}
		}
		controller.abort();
		expect(lastId).toBeDefined();
		expect(before.at(-1)?.type).not.toBe(EventType.RUN_FINISHED);

		// Asking again with the same input and Last-Event-ID: the rest, as a valid run.
		const agent = agentFor(user.token, threadId, { "Last-Event-ID": lastId as string });
		agent.setMessages(messages);
		const { events: after } = await run(agent, { runId });
		expectValidRun(after);
		expect(warnings).toEqual([]);
		// Nothing twice: every streamed piece arrives once over both streams.
		const deltas = (events: (BaseEvent & Record<string, unknown>)[]) =>
			events.filter((e) => e.type === EventType.TEXT_MESSAGE_CONTENT || e.type === EventType.TOOL_CALL_RESULT);
		const resultIds = [...deltas(before), ...deltas(after as never)]
			.filter((e) => e.type === EventType.TOOL_CALL_RESULT)
			.map((e) => e.toolCallId);
		expect(new Set(resultIds).size).toBe(resultIds.length);
		expect(resultIds).toHaveLength(2);
		const text = [...before, ...(after as (BaseEvent & Record<string, unknown>)[])]
			.filter((e) => e.type === EventType.TEXT_MESSAGE_CONTENT)
			.map((e) => e.delta)
			.join("");
		const finished = after.at(-1) as BaseEvent & { result?: string };
		expect(text).toBe(finished.result);
	});

	it("(re)opening a thread: a run with nothing new answers MESSAGES_SNAPSHOT", async () => {
		const user = await newUser();
		const agent = agentFor(user.token);
		agent.addMessage(userMessage("what time is it"));
		await run(agent);
		const reopened = agentFor(user.token, agent.threadId);
		const { events } = await run(reopened);
		expectValidRun(events);
		expect(types(events)).toEqual([EventType.RUN_STARTED, EventType.MESSAGES_SNAPSHOT, EventType.RUN_FINISHED]);
		expect(reopened.messages.find((m) => m.role === "user")?.content).toBe("what time is it");
		expect(lastAssistantText(reopened.messages)).toMatch(/^It is /);
		expect(reopened.messages.some((m) => m.role === "tool")).toBe(true);
		expect(warnings).toEqual([]);
	});
});

describe("the task stream (GET /api/tasks/:id/events) through the client's parser and verifier", () => {
	async function verifiedTaskStream(token: string, taskId: string): Promise<BaseEvent[]> {
		const http$ = runHttpRequest(() =>
			fetch(`${server().url}/api/tasks/${taskId}/events`, {
				headers: { Authorization: `Bearer ${token}`, Accept: "text/event-stream" },
			}),
		);
		const events$ = parseSSEStream(http$).pipe(verifyEvents(false), toArray());
		return lastValueFrom(events$ as never);
	}

	it("a task's stream is a valid AG-UI run, ending with a comment", async () => {
		const user = await newUser();
		const { task } = await api<{ task: { id: string } }>(user.token, "/api/tasks", {
			method: "POST",
			body: JSON.stringify({ instruction: "what time is it" }),
		});
		const events = await verifiedTaskStream(user.token, task.id);
		expect(events[0]?.type).toBe(EventType.RUN_STARTED);
		expect(events.at(-1)?.type).toBe(EventType.RUN_FINISHED);
		expect(types(events)).toContain(EventType.CUSTOM);
		expect(warnings).toEqual([]);
	});

	it("run by run: a task that paused for approval and went on", async () => {
		const user = await newUser();
		const { task } = await api<{ task: { id: string } }>(user.token, "/api/tasks", {
			method: "POST",
			body: JSON.stringify({ instruction: "write b.md with: hi", approve: ["write_file"] }),
		});
		let approvalId: string | undefined;
		for (let i = 0; i < 100 && !approvalId; i++) {
			const { approvals } = await api<{ approvals: { id: string; task_id: string }[] }>(user.token, "/api/approvals");
			approvalId = approvals.find((a) => a.task_id === task.id)?.id;
			if (!approvalId) await new Promise((r) => setTimeout(r, 100));
		}
		await api(user.token, `/api/tasks/${task.id}/approvals/${approvalId}`, {
			method: "POST",
			body: JSON.stringify({ approved: true }),
		});
		const events = await verifiedTaskStream(user.token, task.id);
		expect(types(events).filter((t) => t === EventType.RUN_STARTED)).toHaveLength(2);
		expect(events.at(-1)?.type).toBe(EventType.RUN_FINISHED);
		expect(warnings).toEqual([]);
	});
});
