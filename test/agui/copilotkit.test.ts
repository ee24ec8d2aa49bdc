import { describe, expect, it } from "vitest";
import { forClientVersion } from "../../src/agui/events.ts";
import { runKey } from "../../src/agui/threads.ts";
import { EventType } from "../../src/protocol/index.ts";
import { api, newUser } from "../support/api.ts";

/**
 * What CopilotKit (1.74, `@ag-ui/client` 0.0.59; test/copilotkit/ drives it in Chromium) needs
 * of `POST /api/ag-ui`: events a pre-1.0 client reads (no `pendingToolCallIds`, no `cancelled`
 * outcome), a resume that reuses the interrupted run's `runId`, and a thread opened again
 * (its `connect`) that ends with the interrupts it waits on.
 */

type Event = {
	type: string;
	timestamp?: number;
	outcome?: Record<string, unknown> & { interrupts?: { id: string }[] };
	content?: string;
};

async function post(token: string, body: Record<string, unknown>): Promise<Event[]> {
	const res = await api("/api/ag-ui", { token, body });
	const text = await res.text();
	expect(res.status, text).toBe(200);
	return text
		.split("\n")
		.filter((line) => line.startsWith("data: "))
		.map((line) => JSON.parse(line.slice(6)) as Event);
}

const finished = (events: Event[]) => events.at(-1) as Event;

describe("AG-UI for CopilotKit", () => {
	it("a client that declares no protocolVersion (pre-1.0) gets RUN_FINISHED outcomes it can parse", () => {
		const base = { type: EventType.RUN_FINISHED, threadId: "t", runId: "r" };
		const pending = { ...base, outcome: { type: "success", pendingToolCallIds: ["c1"] } };
		const cancelled = { ...base, outcome: { type: "cancelled" } };
		const interrupt = { ...base, outcome: { type: "interrupt", interrupts: [{ id: "apr_1", reason: "x" }] } };
		expect(forClientVersion(pending, undefined)).toEqual({ ...base, outcome: { type: "success" } });
		expect(forClientVersion(cancelled, undefined)).toEqual(base);
		expect(forClientVersion(interrupt, undefined)).toBe(interrupt);
		// AG-UI 1.0 clients get the events as they are.
		for (const event of [pending, cancelled, interrupt]) expect(forClientVersion(event, "1.0")).toBe(event);
		const text = { type: EventType.TEXT_MESSAGE_START, messageId: "m", role: "assistant" as const };
		expect(forClientVersion(text, undefined)).toBe(text);
	});

	it("a resumed run is stored apart from the run it resumes, whatever its runId", () => {
		expect(runKey({ runId: "r1" })).toBe("r1");
		expect(runKey({ runId: "r1", resume: [] })).toBe("r1");
		expect(runKey({ runId: "r1", resume: [{ interruptId: "apr_b" }, { interruptId: "apr_a" }] })).toBe(
			"r1~resume:apr_a,apr_b",
		);
	});

	it("a client tool's run ends without pendingToolCallIds for a pre-1.0 client, with them for a 1.0 one", async () => {
		const user = await newUser();
		const tools = [{ name: "show_color", description: "a swatch", parameters: { type: "object" } }];
		for (const protocolVersion of [undefined, "1.0"]) {
			const events = await post(user.token, {
				threadId: crypto.randomUUID(),
				runId: crypto.randomUUID(),
				...(protocolVersion ? { protocolVersion } : {}),
				tools,
				messages: [{ id: "m1", role: "user", content: 'use the show_color tool with {"color":"teal"}' }],
			});
			expect(events.some((e) => e.type === "TOOL_CALL_START")).toBe(true);
			const outcome = finished(events).outcome;
			if (protocolVersion) expect(outcome).toEqual({ type: "success", pendingToolCallIds: [expect.any(String)] });
			else expect(outcome).toEqual({ type: "success" });
		}
	});

	it("an approval: the thread opened again ends with its interrupt; a resume with the interrupted runId decides it", async () => {
		const user = await newUser();
		const threadId = crypto.randomUUID();
		const runId = crypto.randomUUID();
		const first = await post(user.token, {
			threadId,
			runId,
			forwardedProps: { sparky: { approve: ["write_file"] } },
			messages: [{ id: "m1", role: "user", content: "write notes.md with: hi" }],
		});
		const interrupt = finished(first).outcome?.interrupts?.[0];
		expect(finished(first).outcome?.type).toBe("interrupt");

		// Opening the thread (CopilotKit's connect after a reload): the history, then the interrupt it waits on.
		const opened = await post(user.token, { threadId, runId: crypto.randomUUID(), messages: [] });
		expect(opened.map((e) => e.type)).toEqual(["RUN_STARTED", "MESSAGES_SNAPSHOT", "RUN_FINISHED"]);
		expect(finished(opened).outcome).toEqual(finished(first).outcome);

		// CopilotKit resumes with the interrupted run's own runId: a new run, not that run replayed.
		const resume = [{ interruptId: interrupt?.id, status: "resolved", payload: { approved: true } }];
		const resumed = await post(user.token, { threadId, runId, messages: [], resume });
		expect(resumed.find((e) => e.type === "TOOL_CALL_RESULT")?.content).toContain("notes.md");
		expect(resumed.some((e) => e.type === "TOOL_CALL_START")).toBe(false);
		expect(finished(resumed).outcome).toEqual({ type: "success" });
		// The same body again follows that same run (nothing decided twice); the first run still replays as it was.
		const untimed = (events: Event[]) => events.map(({ timestamp: _t, ...rest }) => rest);
		expect(untimed(await post(user.token, { threadId, runId, messages: [], resume }))).toEqual(untimed(resumed));
		expect(finished(await post(user.token, { threadId, runId, messages: [] })).outcome?.type).toBe("interrupt");
		// Nothing left to decide: the thread opens with a plain success.
		const reopened = await post(user.token, { threadId, runId: crypto.randomUUID(), messages: [] });
		expect(finished(reopened).outcome).toEqual({ type: "success" });
	});
});
