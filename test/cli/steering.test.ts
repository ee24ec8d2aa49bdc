// Issue #29 in the CLI: `sparky chat --steer` / `--policy reject` while an answer runs,
// `sparky chats policy`, and `sparky agent tasks add --webhook` (shown by `tasks get`).
import { createServer } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { json, newUser, server, slowInstruction, sparky } from "./support/cli.ts";

/** The API as the user (set-up and checks beside the CLI). */
async function api<T>(token: string, method: string, path: string, body?: unknown): Promise<T> {
	const res = await fetch(`${server().url}${path}`, {
		method,
		headers: { Authorization: `Bearer ${token}`, ...(body ? { "Content-Type": "application/json" } : {}) },
		body: body ? JSON.stringify(body) : undefined,
	});
	if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
	return (await res.json()) as T;
}

/** A chat whose turn fetches the slow page (8 s): surely running while the test sends. */
async function chatWithRunningTurn(token: string): Promise<{ chatId: string; turnId: string }> {
	const { chat } = await api<{ chat: { id: string } }>(token, "POST", "/api/chats", {});
	const sent = await api<{ turn_id: string }>(token, "POST", `/api/chats/${chat.id}/messages`, {
		text: slowInstruction("steer"),
	});
	for (let i = 0; i < 100; i++) {
		const { task } = await api<{ task: { status: string } }>(token, "GET", `/api/tasks/${sent.turn_id}`);
		if (task.status === "running") return { chatId: chat.id, turnId: sent.turn_id };
		await new Promise((r) => setTimeout(r, 100));
	}
	throw new Error("the turn never ran");
}

describe("sparky chat while an answer runs", () => {
	it("--steer: the message joins the running answer (said so), which then answers it", async () => {
		const { token, env } = await newUser("steer");
		const { chatId, turnId } = await chatWithRunningTurn(token);
		const run = await sparky(["chat", "--chat", chatId, "--steer", "what time is it"], { env, timeoutMs: 40_000 });
		expect(run.code, run.stdout + run.stderr).toBe(0);
		expect(run.stdout).toContain(`steered into the running answer (${turnId})`);
		// The running turn read it after the fetch and went on with it: the time, in the same turn.
		expect(run.stdout).toMatch(/current_time/);
		const { messages } = await api<{ messages: { turn_id: string; role: string; content: string }[] }>(
			token,
			"GET",
			`/api/chats/${chatId}/messages`,
		);
		expect(messages.filter((m) => m.role === "user").map((m) => [m.turn_id, m.content])).toContainEqual([
			turnId,
			"what time is it",
		]);
	});

	it("--policy reject: refused while a turn runs, with the message and exit 6", async () => {
		const { token, env } = await newUser("steer");
		const { chatId } = await chatWithRunningTurn(token);
		const run = await sparky(["chat", "--chat", chatId, "--policy", "reject", "one more thing"], { env });
		expect(run.code, run.stdout + run.stderr).toBe(6);
		expect(run.stdout + run.stderr).toMatch(/not sent: a turn of this chat is running/);
		// Two policies at once is a usage error.
		const both = await sparky(["chat", "--chat", chatId, "--steer", "--interrupt", "x"], { env });
		expect(both.code).toBe(2);
		expect(both.stderr).toMatch(/one of --policy, --steer and --interrupt/);
		await api(token, "POST", `/api/chats/${chatId}/cancel`).catch(() => undefined);
	});

	it("sparky chats policy: shows and sets a chat's default", async () => {
		const { token, env } = await newUser("steer");
		const { chat } = await api<{ chat: { id: string } }>(token, "POST", "/api/chats", {});
		const shown = await sparky(["chats", "policy", chat.id], { env });
		expect(shown.code, shown.stderr).toBe(0);
		expect(shown.stdout).toMatch(/waits its turn \(queue\)/);
		const set = await sparky(["chats", "policy", chat.id, "steer"], { env });
		expect(set.code, set.stderr).toBe(0);
		expect(set.stdout).toMatch(/now joins the running answer \(steer\)/);
		expect((await api<{ chat: { policy: string } }>(token, "GET", `/api/chats/${chat.id}`)).chat.policy).toBe("steer");
		const bad = await sparky(["chats", "policy", chat.id, "sometimes"], { env });
		expect(bad.code).toBe(2);
	});
});

describe("sparky agent tasks add --webhook", () => {
	let receiver: ReturnType<typeof createServer>;
	let url = "";
	const received: string[] = [];
	beforeAll(async () => {
		receiver = createServer((req, res) => {
			received.push(String(req.headers["sparky-event"]));
			req.resume();
			req.on("end", () => res.writeHead(204).end());
		});
		await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
		const address = receiver.address();
		url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/hook?token=abc`;
	});
	afterAll(() => {
		receiver.close();
	});

	it("sends the webhook; tasks get shows it and its deliveries", async () => {
		const { env, token } = await newUser("hook");
		const added = await sparky(
			["agent", "tasks", "add", "what time is it", "--webhook", url, "--webhook-event", "task.succeeded", "--json"],
			{ env },
		);
		expect(added.code, added.stderr).toBe(0);
		const id = json<{ task: { id: string } }>(added).task.id;
		let task: { status: string; webhook?: unknown; webhook_deliveries?: { status: string }[] } = { status: "" };
		// Waited for over HTTP (a CLI start per look cost a third of a CPU second), then read with the CLI.
		for (let i = 0; i < 100; i++) {
			const seen = await api<{ task: typeof task }>(token, "GET", `/api/tasks/${id}`);
			if (seen.task.webhook_deliveries?.[0]?.status === "delivered") {
				task = json<{ task: typeof task }>(await sparky(["agent", "tasks", "get", id, "--json"], { env })).task;
				if (task.webhook_deliveries?.[0]?.status === "delivered") break;
			}
			await new Promise((r) => setTimeout(r, 200));
		}
		// Shown without its query string (it may carry a token).
		expect(task.webhook).toEqual({ url: url.split("?")[0], events: ["task.succeeded"] });
		expect(task.webhook_deliveries?.[0]?.status).toBe("delivered");
		expect(received).toContain("task.succeeded");
		const shown = await sparky(["agent", "tasks", "get", id], { env });
		expect(shown.stdout).toMatch(/webhook\s+http:\/\/127\.0\.0\.1:\d+\/hook \(task\.succeeded\)/);
		expect(shown.stdout).toMatch(/webhook deliveries\n\s+whd_\S+\s+task\.succeeded\s+delivered/);

		const orphan = await sparky(["agent", "tasks", "add", "x", "--webhook-event", "task.failed"], { env });
		expect(orphan.code).toBe(2);
		const refused = await sparky(["agent", "tasks", "add", "x", "--webhook", "https://10.0.0.1/hook"], { env });
		expect(refused.code).toBe(2);
		expect(refused.stderr).toMatch(/webhook URL refused/);
	});
});
