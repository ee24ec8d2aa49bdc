// Issue #27: a task's SSE stream sends what happened between runs in seq order, each with its
// seq as the id, and stays valid AG-UI run by run (each run's RUN_STARTED first).
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Approval, Task } from "../../src/protocol/index.ts";
import { ensureWorkspace } from "../../src/storage/workspace.ts";
import { api, json, newUser } from "../support/api.ts";
import { deliver, reload } from "../support/tasks.ts";

interface Message {
	id?: string;
	event?: string;
	data: { seq: number; type: string; name?: string; value?: { status?: string } };
}

function parseSse(text: string): Message[] {
	return text
		.split("\n\n")
		.filter((block) => block.trim() && !block.startsWith(":"))
		.map((block) => {
			const m: Partial<Message> & { raw?: string } = {};
			for (const line of block.split("\n")) {
				const [field, ...rest] = line.split(":");
				const value = rest.join(":").trimStart();
				if (field === "id") m.id = value;
				else if (field === "event") m.event = value;
				else if (field === "data") m.raw = value;
			}
			return { id: m.id, event: m.event, data: JSON.parse(m.raw ?? "{}") };
		});
}

describe("the task stream in time order (issue #27)", () => {
	it("a task paused for approval and resumed: the events between runs come in seq order, with ids", async () => {
		const user = await newUser();
		await ensureWorkspace(env, user.id, Date.now());
		const created = await api("/api/tasks", {
			token: user.token,
			body: { instruction: "Delete README.md", allow_duplicates: true },
		});
		const { task } = await json<{ task: Task }>(created);
		await deliver(task.id);
		const paused = await json<{ task: Task & { approvals: Approval[] } }>(
			api(`/api/tasks/${task.id}`, { token: user.token }),
		);
		const approval = paused.task.approvals.at(-1) as Approval;
		const decided = await api(`/api/tasks/${task.id}/approvals/${approval.id}`, {
			token: user.token,
			body: { approved: true },
		});
		expect(decided.status).toBeLessThan(300);
		if ((await reload(task.id)).status === "queued") await deliver(task.id);
		expect((await reload(task.id)).status).toBe("succeeded");

		const text = await (
			await api(`/api/tasks/${task.id}/events`, { token: user.token, headers: { Accept: "text/event-stream" } })
		).text();
		const messages = parseSse(text);
		// Valid AG-UI run by run: two runs, each opening with RUN_STARTED.
		expect(messages[0]?.event).toBe("RUN_STARTED");
		expect(messages.filter((m) => m.event === "RUN_STARTED")).toHaveLength(2);
		// Every message but a RUN_STARTED ahead of held events carries its seq as its id.
		for (const m of messages) if (m.event !== "RUN_STARTED") expect(m.id).toBe(String(m.data.seq));
		const ids = messages.filter((m) => m.id !== undefined).map((m) => Number(m.id));
		expect(ids).toEqual([...ids].sort((a, b) => a - b));
		// In seq order once each RUN_STARTED stands after what it carried in (as `tasks watch` shows it).
		const seqs = messages.map((m) => m.data.seq);
		const shown = [...seqs].sort((a, b) => a - b);
		expect(seqs.filter((_, i) => messages[i]?.event !== "RUN_STARTED")).toEqual(
			shown.filter((s) => !messages.some((m) => m.event === "RUN_STARTED" && m.data.seq === s)),
		);
		// What happened between the runs: the pause, the decision, queued, running, in that order.
		const between = messages
			.filter((m) => m.event === "CUSTOM")
			.map((m) => m.data.value?.status ?? m.data.name)
			.join(" ");
		expect(between).toContain("awaiting_approval sparky.approval.decided queued running");
		// The stream ends with a comment saying how the task ended (no event after the last run).
		expect(messages.at(-1)?.event).toBe("RUN_FINISHED");
		expect(text.trimEnd().split("\n").at(-1)).toMatch(/^: end \{"status":"succeeded","seq":\d+\}$/);
	});
});
