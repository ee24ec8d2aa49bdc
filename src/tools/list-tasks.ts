import { z } from "zod";
import { TaskStatusSchema } from "../protocol/index.ts";
import { listTasks } from "../storage/tasks.ts";
import { defineTool } from "./types.ts";

export const listTasksTool = defineTool({
	name: "list_tasks",
	idempotent: true,
	description: "List this user's recent tasks, newest first, optionally by status.",
	input: z.strictObject({
		status: TaskStatusSchema.optional(),
		limit: z.number().int().min(1).max(50).optional(),
	}),
	async execute({ status, limit }, ctx) {
		const rows = await listTasks(ctx.env.DB, {
			scope: { kind: "own", userId: ctx.userId },
			status,
			limit: limit ?? 10,
		});
		return {
			tasks: rows.map((t) => ({
				id: t.id,
				status: t.status,
				instruction: t.instruction.length > 200 ? `${t.instruction.slice(0, 200)}…` : t.instruction,
				created_at: new Date(t.created_at).toISOString(),
				...(t.error ? { error: t.error } : {}),
			})),
		};
	},
});
