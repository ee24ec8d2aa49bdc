import { describe, expect, it } from "vitest";
import { Timeline } from "../../src/client/timeline.ts";
import type { Task } from "../../src/protocol/index.ts";
import { Api } from "../../web/src/lib/api.ts";
import { ActivityList } from "../../web/src/state/activity.ts";
import { apiTask } from "../support/task-fixture.ts";

const task = (id: string, created_at: number): Task => apiTask(id, { user_id: "agent", created_at });

describe("web: the sidebar's task list", () => {
	it("keeps a task made while its first page was on the way, which the page (read before) doesn't list", async () => {
		let answer: (body: unknown) => void = () => {};
		const fetcher: typeof fetch = () =>
			new Promise((resolve) => {
				answer = (body) => resolve(new Response(JSON.stringify(body), { status: 200 }));
			});
		const list = new ActivityList(new Api("spk_t", "http://sparky.test", fetcher), new Timeline(), () => {});
		const loading = list.reload();
		list.added(task("task_new", 2000)); // made (and put on top) while the page was being read
		answer({ tasks: [task("task_old", 1000)], next_cursor: null });
		await loading;
		expect(list.rows.map((r) => r.id)).toEqual(["task_new", "task_old"]);

		// A later reload that lists it, or doesn't (deleted meanwhile), is the truth again.
		const again = list.reload();
		answer({ tasks: [task("task_old", 1000)], next_cursor: null });
		await again;
		expect(list.rows.map((r) => r.id)).toEqual(["task_old"]);
	});
});
