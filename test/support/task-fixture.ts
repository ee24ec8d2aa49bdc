import type { Task } from "../../src/protocol/index.ts";

/**
 * A task as the API returns it (`GET /api/tasks/:id`), for client tests that feed the page's
 * and the CLI's state: queued, unstarted, `fields` over the defaults. Portable (Deno too).
 */
export function apiTask(id: string, fields: Partial<Task> = {}): Task {
	const status = fields.status ?? "queued";
	const created = fields.created_at ?? 0;
	return {
		id,
		kind: "task",
		user_id: "alice",
		instruction: `do ${id}`,
		metadata: null,
		chat_id: null,
		status,
		attempts: status === "queued" ? 0 : 1,
		max_attempts: 3,
		parent_task_id: null,
		depth: 0,
		schedule_name: null,
		model: null,
		result: null,
		error: null,
		usage: { input_tokens: 0, output_tokens: 0, total_tokens: 0 },
		cancel_requested: false,
		created_at: created,
		updated_at: created,
		started_at: null,
		finished_at: null,
		...fields,
	};
}
