// GET /api/tasks for the page's activity list: kinds, creator, search, and their validation.
import { describe, expect, it } from "vitest";
import type { Task } from "../../src/protocol/index.ts";
import { escapeLike } from "../../src/storage/tasks.ts";
import { adminToken, api, json, newUser } from "../support/api.ts";
import { queuedTask } from "../support/tasks.ts";

type Page = { tasks: Task[]; next_cursor: string | null };
const list = (token: string, query: string) => json<Page>(api(`/api/tasks?${query}`, { token }));
const ids = (page: Page) => page.tasks.map((t) => t.id);

async function agentToken(): Promise<string> {
	const res = await api("/api/users/agent/tokens", { token: adminToken(), body: { name: "list-test" } });
	return (await json<{ token: string }>(res)).token;
}

describe("GET /api/tasks filters", () => {
	it("kind: background tasks by default, chat turns on request, both with `all`", async () => {
		const user = await newUser();
		const task = await queuedTask(user.id, { created_at: 2_000 });
		const turn = await queuedTask(user.id, { kind: "chat", created_at: 2_001 });
		expect(ids(await list(user.token, ""))).toEqual([task.id]);
		expect(ids(await list(user.token, "kind=chat"))).toEqual([turn.id]);
		expect(ids(await list(user.token, "kind=all"))).toEqual([turn.id, task.id]);
	});

	it("user: one creator's tasks, for watchers; a user's own scope still applies", async () => {
		const [alice, bob] = await Promise.all([newUser(), newUser()]);
		const a = await queuedTask(alice.id);
		const b = await queuedTask(bob.id);
		const agent = await agentToken();
		expect(ids(await list(agent, `user=${alice.id}&kind=all&limit=100`))).toEqual([a.id]);
		expect(ids(await list(adminToken(), `user=${bob.id}`))).toEqual([b.id]);
		// Naming someone else never widens what a plain user sees.
		expect(ids(await list(alice.token, `user=${bob.id}`))).toEqual([]);
	});

	it("q: a substring of the instruction, any case, with % and _ taken literally", async () => {
		const user = await newUser();
		const report = await queuedTask(user.id, { instruction: "Summarise the Quarterly REPORT", created_at: 3_000 });
		const percent = await queuedTask(user.id, { instruction: "grow 100% faster", created_at: 3_001 });
		const under = await queuedTask(user.id, { instruction: "read my_file.txt", created_at: 3_002 });
		await queuedTask(user.id, { instruction: "grow 1000 faster, myXfile", created_at: 3_003 });
		expect(ids(await list(user.token, "q=quarterly%20report"))).toEqual([report.id]);
		expect(ids(await list(user.token, `q=${encodeURIComponent("100%")}`))).toEqual([percent.id]);
		expect(ids(await list(user.token, "q=my_file"))).toEqual([under.id]);
		expect(ids(await list(user.token, "q=nothing-like-this"))).toEqual([]);
	});

	it("search, filters and the cursor page together", async () => {
		const user = await newUser();
		const made: string[] = [];
		for (let i = 0; i < 5; i++) {
			made.push((await queuedTask(user.id, { instruction: `deploy step ${i}`, created_at: 4_000 + i })).id);
		}
		await queuedTask(user.id, { instruction: "unrelated", created_at: 4_010 });
		const first = await list(user.token, "q=deploy&limit=3");
		expect(ids(first)).toEqual([made[4], made[3], made[2]]);
		expect(first.next_cursor).not.toBeNull();
		const second = await list(user.token, `q=deploy&limit=3&cursor=${first.next_cursor}`);
		expect(ids(second)).toEqual([made[1], made[0]]);
		expect(second.next_cursor).toBeNull();
	});

	it.each(["kind=turns", "user=Not%20A%20User", "q=", `q=${"x".repeat(201)}`])(
		"refuses %s with a 400",
		async (query) => {
			const user = await newUser();
			const res = await api(`/api/tasks?${query}`, { token: user.token });
			expect(res.status).toBe(400);
			expect((await json<{ error: { code: string } }>(res)).error.code).toBe("validation_failed");
		},
	);

	it("escapes LIKE's wildcards and its escape character", () => {
		expect(escapeLike("50%_a\\b")).toBe("50\\%\\_a\\\\b");
	});
});
