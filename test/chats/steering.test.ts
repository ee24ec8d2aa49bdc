// A message sent while a chat's turn runs (issue #29): queue, interrupt, steer or reject, with
// the real runner and a scripted model that holds its calls until the test lets them go.
import { env } from "cloudflare:workers";
import type { LanguageModelV4CallOptions, LanguageModelV4Prompt } from "@ai-sdk/provider";
import { MockLanguageModelV4 } from "ai/test";
import { describe, expect, it } from "vitest";
import { hubFor } from "../../src/hub/stub.ts";
import type { Chat, ChatMessage } from "../../src/protocol/index.ts";
import { runClaimedTask } from "../../src/runner/run-task.ts";
import { claimWithCheckpoint } from "../../src/storage/task-runs.ts";
import { api, json, newUser } from "../support/api.ts";
import { asResolution, providerError, stream, textParts, toolCallParts } from "../support/models.ts";
import { reload } from "../support/tasks.ts";

type Script = (call: number, prompt: LanguageModelV4Prompt) => ReturnType<typeof stream>;

/** A model whose every call waits for `release()`, records its prompt, then answers per `script`. */
function heldModel(script: Script) {
	const prompts: LanguageModelV4Prompt[] = [];
	const waiting: (() => void)[] = [];
	let started = () => {};
	let startedCall = new Promise<void>((r) => {
		started = r;
	});
	const model = new MockLanguageModelV4({
		doStream: async (options: LanguageModelV4CallOptions) => {
			prompts.push(options.prompt);
			const go = new Promise<void>((r) => {
				waiting.push(r);
				// A stopped run's call ends too (as a provider's would, its connection closed).
				options.abortSignal?.addEventListener("abort", () => r());
			});
			started();
			await go;
			return script(prompts.length, options.prompt);
		},
	});
	return {
		model,
		prompts,
		/** Resolves once the next call has started (and waits). */
		nextCall: async () => {
			await startedCall;
			startedCall = new Promise<void>((r) => {
				started = r;
			});
		},
		release: () => waiting.shift()?.(),
	};
}

const userTexts = (prompt: LanguageModelV4Prompt | undefined) =>
	(prompt ?? [])
		.filter((m) => m.role === "user")
		.flatMap((m) => (m.role === "user" ? m.content : []))
		.map((p) => (p.type === "text" ? p.text : ""));

async function chatWithTurn(user: { token: string }) {
	const { chat } = await json<{ chat: Chat }>(await api("/api/chats", { token: user.token, body: {} }));
	const sent = await json<{ turn_id: string }>(
		await api(`/api/chats/${chat.id}/messages`, { token: user.token, body: { text: "List my files." } }),
	);
	return { chat, turnId: sent.turn_id };
}

function send(user: { token: string }, chatId: string, body: Record<string, unknown>) {
	return api(`/api/chats/${chatId}/messages`, { token: user.token, body });
}

async function startTurn(turnId: string, model: MockLanguageModelV4) {
	const claimed = await claimWithCheckpoint(env.DB, turnId, "run_steer", Date.now(), 60_000);
	if (!claimed) throw new Error(`could not claim ${turnId}`);
	// A cancel is seen at the heartbeat's next check: checked often here.
	const deps = { model: asResolution(model), heartbeat: { checkMs: 20 } };
	return runClaimedTask(env, claimed.row, "run_steer", deps, claimed.saved);
}

describe("steering a running turn", () => {
	it("a steered message joins the running turn between steps: the model reads it, the events and history show where", async () => {
		const user = await newUser();
		const { chat, turnId } = await chatWithTurn(user);
		const held = heldModel((call) =>
			stream(call === 1 ? toolCallParts("list_files", {}) : textParts("Here are your files, sorted by size.")),
		);
		const running = startTurn(turnId, held.model);
		await held.nextCall();
		const steered = await send(user, chat.id, { text: "Sort them by size, please.", policy: "steer" });
		expect(steered.status).toBe(202);
		const answer = await json<{ message_id: string; turn_id: string; status: string }>(steered);
		expect(answer).toMatchObject({ turn_id: turnId, status: "steered" });
		held.release(); // the tool call; then the second call starts with the steered message in
		await held.nextCall();
		held.release();
		expect(await running).toEqual({ kind: "done", status: "succeeded" });

		expect(held.prompts).toHaveLength(2);
		expect(userTexts(held.prompts[0])).not.toContain("Sort them by size, please.");
		expect(userTexts(held.prompts[1]).at(-1)).toBe("Sort them by size, please.");
		// The turn's own events: the user's words after the tool's result, before the answer.
		const { events } = await hubFor(env, user.id).taskEvents(turnId);
		const order = events
			.filter((e) => ["TOOL_CALL_RESULT", "TEXT_MESSAGE_START"].includes(e.type))
			.map((e) => (e.type === "TOOL_CALL_RESULT" ? "tool result" : `${e.role} message`));
		// (First the message that started the turn.)
		expect(order).toEqual(["user message", "tool result", "user message", "assistant message"]);
		const start = events.filter((e) => e.type === "TEXT_MESSAGE_START" && e.role === "user").at(-1);
		expect(start?.messageId).toBe(answer.message_id);
		// History: in the turn, between the tool call and the answer.
		const history = await json<{ messages: ChatMessage[] }>(
			await api(`/api/chats/${chat.id}/messages`, { token: user.token }),
		);
		const rows = history.messages.filter((m) => m.turn_id === turnId).map((m) => [m.role, m.content]);
		expect(rows.map(([role]) => role)).toEqual(["user", "tool", "user", "assistant"]);
		expect(rows[2]?.[1]).toBe("Sort them by size, please.");
		expect(rows[3]?.[1]).toBe("Here are your files, sorted by size.");
		const row = await env.DB.prepare("SELECT taken_step FROM turn_steers WHERE id = ?").bind(answer.message_id).first();
		expect(row).toEqual({ taken_step: 1 });
	});

	it("said while the model writes its answer: the model answers again, having read it", async () => {
		const user = await newUser();
		const { chat, turnId } = await chatWithTurn(user);
		const held = heldModel((call, prompt) =>
			stream(textParts(call === 1 ? "You have three files." : `Noted: ${userTexts(prompt).at(-1)}`)),
		);
		const running = startTurn(turnId, held.model);
		await held.nextCall();
		await send(user, chat.id, { text: "Only the PDFs.", policy: "steer" });
		held.release();
		await held.nextCall();
		held.release();
		expect(await running).toEqual({ kind: "done", status: "succeeded" });
		expect(held.prompts).toHaveLength(2);
		expect((await reload(turnId)).result).toBe("Noted: Only the PDFs.");
	});

	it("a turn that ends without reading it passes it on as the chat's next turn", async () => {
		const user = await newUser();
		const { chat, turnId } = await chatWithTurn(user);
		const held = heldModel(() => {
			throw providerError(401, "invalid api key");
		});
		const running = startTurn(turnId, held.model);
		await held.nextCall();
		const steered = await json<{ message_id: string }>(
			await send(user, chat.id, { text: "And the photos?", policy: "steer" }),
		);
		held.release();
		expect(await running).toEqual({ kind: "done", status: "failed" });
		const next = await env.DB.prepare(
			"SELECT t.id, t.status, t.instruction FROM tasks t WHERE t.chat_id = ? AND t.id != ? AND t.kind = 'chat'",
		)
			.bind(chat.id, turnId)
			.all<{ id: string; status: string; instruction: string }>();
		expect(next.results).toEqual([expect.objectContaining({ status: "queued", instruction: "And the photos?" })]);
		// The same message id: what the sender was told is what the new turn answers.
		const row = await env.DB.prepare("SELECT turn_id FROM chat_messages WHERE id = ?")
			.bind(steered.message_id)
			.first<{ turn_id: string }>();
		expect(row?.turn_id).toBe(next.results[0]?.id);
	});
});

describe("the other policies", () => {
	it("reject: refused with 409 turn_running while a turn is open; accepted once none is", async () => {
		const user = await newUser();
		const { chat, turnId } = await chatWithTurn(user);
		const refused = await send(user, chat.id, { text: "Another thing", policy: "reject" });
		expect(refused.status).toBe(409);
		expect((await json<{ error: { code: string; details: unknown } }>(refused)).error).toMatchObject({
			code: "turn_running",
			details: { turn_id: turnId },
		});
		const held = heldModel(() => stream(textParts("done")));
		const running = startTurn(turnId, held.model);
		await held.nextCall();
		held.release();
		await running;
		expect((await send(user, chat.id, { text: "Another thing", policy: "reject" })).status).toBe(202);
	});

	it("interrupt: the running turn stops at once and the new message is queued", async () => {
		const user = await newUser();
		const { chat, turnId } = await chatWithTurn(user);
		const held = heldModel(() => stream(textParts("partial")));
		const running = startTurn(turnId, held.model);
		await held.nextCall();
		const sent = await json<{ turn_id: string; status: string }>(
			await send(user, chat.id, { text: "Stop, do this instead.", policy: "interrupt" }),
		);
		expect(sent.status).toBe("queued");
		expect((await reload(turnId)).cancel_requested_at).not.toBeNull();
		// Not released: the run's heartbeat sees the cancel and stops the call.
		expect(await running).toMatchObject({ kind: "done", status: "cancelled" });
		expect((await reload(sent.turn_id)).status).toBe("queued");
	});

	it("a chat's default policy applies when a message names none; queue stays the default", async () => {
		const user = await newUser();
		const { chat } = await chatWithTurn(user);
		expect(chat.policy).toBe("queue");
		expect((await send(user, chat.id, { text: "queued behind" })).status).toBe(202);
		const changed = await api(`/api/chats/${chat.id}`, {
			method: "PATCH",
			token: user.token,
			body: { policy: "reject" },
		});
		expect((await json<{ chat: Chat }>(changed)).chat.policy).toBe("reject");
		expect((await send(user, chat.id, { text: "refused now" })).status).toBe(409);
		expect((await send(user, chat.id, { text: "unless it says", policy: "queue" })).status).toBe(202);
		const bad = await api(`/api/chats/${chat.id}`, { method: "PATCH", token: user.token, body: { policy: "shout" } });
		expect(bad.status).toBe(400);
	});
});
