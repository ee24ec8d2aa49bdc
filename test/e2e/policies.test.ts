// The four policies end to end on `wrangler dev` (issue #29), through the HTTP API: a turn held
// mid-tool (the slow page's fetch waits for its key) is interrupted, queued behind, or refused.
import { describe, expect, inject, it } from "vitest";
import { api, release, userToken, waitForTask } from "./support/api.ts";

interface Sent {
	message_id: string;
	turn_id: string;
	status: string;
}
interface HistoryRow {
	turn_id: string | null;
	role: string;
	tool_name: string | null;
	content: string;
}

async function chatWithHeldTurn(token: string, key: string) {
	const { chat } = await api<{ chat: { id: string } }>(token, "POST", "/api/chats", {});
	// The clock first (it finishes), then the slow page (held until `release(key)`).
	const text = `What time is it? Then fetch ${inject("pageUrl")}/slow.html?key=${key}`;
	const first = await api<Sent>(token, "POST", `/api/chats/${chat.id}/messages`, { text });
	await expect
		.poll(async () => {
			const { events } = await api<{ events: { type: string; toolCallName?: string }[] }>(
				token,
				"GET",
				`/api/tasks/${first.turn_id}/events`,
			);
			return events.some((e) => e.type === "TOOL_CALL_START" && e.toolCallName === "http_fetch");
		})
		.toBe(true);
	return { chatId: chat.id, first };
}

const history = async (token: string, chatId: string) =>
	(await api<{ messages: HistoryRow[] }>(token, "GET", `/api/chats/${chatId}/messages?limit=100`)).messages;

describe("policies on a running turn, end to end", () => {
	it("interrupt: the running turn stops keeping its finished tool call, then the new message is answered", async () => {
		const token = await userToken("policy-ivan");
		const { chatId, first } = await chatWithHeldTurn(token, "interrupt-1");
		const sent = await api<Sent>(token, "POST", `/api/chats/${chatId}/messages`, {
			text: "Never mind: list my files.",
			policy: "interrupt",
		});
		expect(sent.status).toBe("queued");
		await waitForTask(token, first.turn_id, ["cancelled"]);
		await release("interrupt-1");
		await waitForTask(token, sent.turn_id, ["succeeded"]);
		const rows = await history(token, chatId);
		const firstTurn = rows.filter((r) => r.turn_id === first.turn_id);
		// The clock's call finished before the interrupt: kept, with its result.
		const clock = firstTurn.find((r) => r.tool_name === "current_time");
		expect(clock?.content).toMatch(/\d{4}-\d{2}-\d{2}/);
		expect(rows.filter((r) => r.turn_id === sent.turn_id).some((r) => r.tool_name === "list_files")).toBe(true);
	});

	it("queue (the default) waits its turn; reject is a 409 turn_running while one runs", async () => {
		const token = await userToken("policy-judy");
		const { chatId, first } = await chatWithHeldTurn(token, "queue-1");
		const refused = await fetch(`${inject("sparkyUrl")}/api/chats/${chatId}/messages`, {
			method: "POST",
			headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
			body: JSON.stringify({ text: "Me too", policy: "reject" }),
		});
		expect(refused.status).toBe(409);
		expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("turn_running");
		const queued = await api<Sent>(token, "POST", `/api/chats/${chatId}/messages`, { text: "And list my files." });
		expect(queued.status).toBe("queued");
		expect((await api<{ task: { status: string } }>(token, "GET", `/api/tasks/${queued.turn_id}`)).task.status).toBe(
			"queued",
		);
		await release("queue-1");
		await waitForTask(token, first.turn_id, ["succeeded"]);
		await waitForTask(token, queued.turn_id, ["succeeded"]);
	});
});
