import { z } from "zod";
import { depsFor } from "../deps.ts";
import { SparkyError } from "../errors.ts";
import { statusInWords, TaskLimits } from "../protocol/index.ts";
import { countChildren } from "../storage/tasks.ts";
import { createTask } from "../tasks/service.ts";
import { defineTool, fail } from "./types.ts";

/** Follow-ups of follow-ups stop here, so the agent can't queue work forever. */
export const MAX_FOLLOW_UP_DEPTH = 3;
/** Follow-ups one run may queue. */
export const MAX_FOLLOW_UPS_PER_TASK = 5;

export const addTaskTool = defineTool({
	name: "add_task",
	// its idempotency key makes a repeated call the same follow-up
	idempotent: true,
	description:
		"Queue a follow-up task for this user; it runs later as its own task. Use it for work that should happen after this one.",
	input: z.strictObject({
		instruction: z.string().trim().min(1).max(TaskLimits.instructionChars),
		metadata: z.record(z.string().min(1).max(100), z.json()).optional(),
	}),
	async execute({ instruction, metadata }, ctx) {
		const depth = ctx.depth + 1;
		if (depth > MAX_FOLLOW_UP_DEPTH) {
			return fail(
				`follow-ups are limited to ${MAX_FOLLOW_UP_DEPTH} levels; this task is already at level ${ctx.depth}`,
			);
		}
		if (ctx.taskId && (await countChildren(ctx.env.DB, ctx.taskId)) >= MAX_FOLLOW_UPS_PER_TASK) {
			return fail(`a task may queue at most ${MAX_FOLLOW_UPS_PER_TASK} follow-ups`);
		}
		// The user's task rate and open-task cap apply to follow-ups too: past them, a tool error.
		const outcome = await createTask(depsFor(ctx.env, ctx.relay), {
			userId: ctx.userId,
			instruction,
			metadata,
			parentTaskId: ctx.taskId,
			depth,
			// A retried run asks for the same follow-up again: the key makes that the same task.
			idempotencyKey: ctx.taskId ? `follow-up:${ctx.taskId}:${instruction}`.slice(0, 200) : undefined,
		}).catch((error: unknown) => {
			if (error instanceof SparkyError) return fail(`could not queue the follow-up: ${error.message}`);
			throw error;
		});
		if ("error" in outcome) return outcome;
		if (outcome.kind === "duplicate") {
			return fail(`an identical task is already ${statusInWords(outcome.task.status)} (${outcome.task.id})`, {
				task_id: outcome.task.id,
			});
		}
		return { task_id: outcome.task.id, status: outcome.task.status, depth };
	},
});
