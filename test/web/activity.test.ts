import { describe, expect, it } from "vitest";
import { Timeline } from "../../src/client/timeline.ts";
import type { Task } from "../../src/protocol/index.ts";
import { Api } from "../../web/src/lib/api.ts";
import { ActivityList } from "../../web/src/state/activity.ts";

function task(id: string, created_at: number): Task {
	return {
		id,
		kind: "task",
		user_id: "agent",
		instruction: `do ${id}`,
		metadata: null,
		chat_id: null,
		status: "queued",
		attempts: 0,
		max_attempts: 3,
		parent_task_id: null,
		depth: 0,
		schedule_name: null,
		model: null,
		result: null,
		error: null,
		usage: { input_tokens: 0, output_tokens: 0, total_tokens: 0 },
		cancel_requested: false,
		created_at,
		updated_at: created_at,
		started_at: null,
		finished_at: null,
	};
}

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
