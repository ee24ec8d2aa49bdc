/** `sparky agent tasks …`: queue, list, inspect, follow, cancel, delete and clear tasks. */
import { type Command, InvalidArgumentError, Option } from "commander";
import {
	ClearTasksBodySchema,
	CreateTaskBodySchema,
	IdempotencyKeySchema,
	ListTasksQuerySchema,
	type Task,
	TaskKindSchema,
	TaskStatusSchema,
	TERMINAL_STATUSES,
} from "../../src/protocol/index.ts";
import { act } from "../action.ts";
import type { Context } from "../context.ts";
import { CliError, ExitCode } from "../errors.ts";
import { duration, fields, oneLine, relativeTime, statusColor, table, timestamp } from "../output.ts";
import { confirmed } from "../prompt.ts";
import { check, checkId, collect, integer, parseBefore, parseMetadata } from "../validate.ts";
import { watchTask } from "../watch.ts";

export function addTaskCommands(agent: Command): void {
	const tasks = agent.command("tasks").alias("task").description("background tasks for the agent");

	tasks
		.command("add")
		.description("queue a task (the words are joined into the instruction)")
		.argument("<instruction...>", "what the agent should do")
		.option("-m, --metadata <key=value>", "metadata, repeatable (key:=json for a JSON value)", collect, [])
		.option("--chat <id>", "post the task into this chat")
		.option("--depends-on <id>", "wait for this task to succeed first, repeatable", collect, [])
		.option("--max-attempts <n>", "attempts on transient failures (1-10)", integer)
		.option("--allow-duplicates", "queue it even if an identical task is queued or running")
		.option("--idempotency-key <key>", "the same key always means the same task (safe to retry)")
		.option("-w, --watch", "follow the task live until it ends; the exit code tells how it ended")
		.addHelpText(
			"after",
			'\nExamples:\n  sparky agent tasks add "List files in the workspace and summarise README.md" --watch\n  sparky agent tasks add "what time is it" -m source=cron --idempotency-key nightly-2026-11-24',
		)
		.action(
			act(async (ctx, words: string[], options: AddOptions) => {
				const { body, key } = taskBody(words, options);
				const api = ctx.api();
				const answer = await api.createTask(body, key).catch((error: unknown) => {
					throw withDuplicateHint(error);
				});
				const task = answer.data.task;
				const replayed = answer.headers.get("Idempotent-Replayed") === "true";
				if (!options.watch) {
					if (ctx.out.json) ctx.out.printJson(answer.data);
					else printCreated(ctx, task, replayed);
					return;
				}
				if (!ctx.out.json) printCreated(ctx, task, replayed);
				return watchTask(ctx, task.id, task);
			}),
		);

	tasks
		.command("list")
		.alias("ls")
		.description("tasks, newest first (yours; every user's for admins and the agent user)")
		.addOption(new Option("-s, --status <status>", "only this status").choices(TaskStatusSchema.options))
		.option("-l, --limit <n>", "how many (1-100, default 20)", integer)
		.option("--cursor <cursor>", "the next page (printed under a full page)")
		.addOption(new Option("--kind <kind>", "task (default) or chat turns").choices(TaskKindSchema.options))
		.action(
			act(async (ctx, options: { status?: string; limit?: number; cursor?: string; kind?: string }) => {
				const query = check(ListTasksQuerySchema, options, "option", {
					status: "--status",
					limit: "--limit",
					cursor: "--cursor",
					kind: "--kind",
				});
				const { data } = await ctx.api().listTasks(query);
				const { out } = ctx;
				if (out.json) return out.printJson(data);
				if (data.tasks.length === 0) {
					out.line(out.c.dim(options.status ? `No ${options.status} tasks.` : "No tasks."));
					return;
				}
				const users = new Set(data.tasks.map((t) => t.user_id));
				const showUser = users.size > 1;
				const head = ["ID", "STATUS", "CREATED", ...(showUser ? ["USER"] : []), "INSTRUCTION"];
				const fixed = 24 + 11 + 10 + (showUser ? 12 : 0);
				const rows = data.tasks.map((t) => [
					t.id,
					statusColor(out, t.status),
					relativeTime(t.created_at),
					...(showUser ? [t.user_id] : []),
					oneLine(t.instruction, Math.max(20, out.columns - fixed - 2)),
				]);
				out.line(table(out, head, rows));
				if (data.next_cursor) out.line(out.c.dim(`more: sparky agent tasks list --cursor ${data.next_cursor}`));
			}),
		);

	tasks
		.command("get")
		.alias("show")
		.description("one task: status, attempts, timing, usage, result or error")
		.argument("<id>", "task id")
		.action(
			act(async (ctx, id: string) => {
				const { data } = await ctx.api().getTask(checkId(id, "task id"));
				if (ctx.out.json) return ctx.out.printJson(data);
				printTask(ctx, data.task);
			}),
		);

	tasks
		.command("watch")
		.description("follow a task live until it ends (exit 0 succeeded, 1 failed or cancelled)")
		.argument("<id>", "task id")
		.action(act(async (ctx, id: string) => watchTask(ctx, checkId(id, "task id"))));

	tasks
		.command("cancel")
		.description("stop a task (a running one stops within a second)")
		.argument("<id>", "task id")
		.action(
			act(async (ctx, id: string) => {
				const answer = await ctx.api().cancelTask(checkId(id, "task id"));
				const { out } = ctx;
				if (out.json) return out.printJson(answer.data);
				const task = answer.data.task;
				if (answer.status === 202) out.line(`Cancelling ${task.id}: it stops at its next step.`);
				else out.line(`Cancelled ${task.id}.`);
			}),
		);

	tasks
		.command("delete")
		.alias("rm")
		.description("delete a finished task (asks first; -f on scripts)")
		.argument("<id>", "task id")
		.option("-f, --force", "don't ask")
		.action(
			act(async (ctx, id: string, options: { force?: boolean }) => {
				checkId(id, "task id");
				if (!(await confirmed(ctx, options.force, `Delete task ${id}?`))) return ExitCode.error;
				await ctx.api().deleteTask(id);
				if (ctx.out.json) ctx.out.printJson({ deleted: true, task_id: id });
				else ctx.out.line(`Deleted ${id}.`);
			}),
		);

	tasks
		.command("clear")
		.description("delete finished tasks (succeeded, failed, cancelled), optionally only some")
		.addOption(
			new Option("-s, --status <status>", "only this status, repeatable")
				.choices(TERMINAL_STATUSES)
				.argParser((value: string, previous: string[] = []) => {
					if (!(TERMINAL_STATUSES as readonly string[]).includes(value)) {
						throw new InvalidArgumentError(`Allowed choices are ${TERMINAL_STATUSES.join(", ")}.`);
					}
					return [...previous, value];
				}),
		)
		.option("--created-before <date>", "only tasks created before a date (2026-11-01), a date-time, or an age (7d)")
		.option("-f, --force", "don't ask")
		.action(
			act(async (ctx, options: { status?: string[]; createdBefore?: string; force?: boolean }) => {
				const body = check(
					ClearTasksBodySchema,
					{
						...(options.status ? { status: options.status } : {}),
						...(options.createdBefore ? { created_before: parseBefore(options.createdBefore) } : {}),
					},
					"option",
					{ status: "--status", created_before: "--created-before" },
				);
				const what = `${options.status?.join(", ") ?? "succeeded, failed and cancelled"} tasks${
					options.createdBefore ? ` created before ${options.createdBefore}` : ""
				}`;
				if (!(await confirmed(ctx, options.force, `Delete all ${what}?`))) return ExitCode.error;
				const { data } = await ctx.api().clearTasks(body);
				if (ctx.out.json) ctx.out.printJson(data);
				else ctx.out.line(`Deleted ${data.deleted} task${data.deleted === 1 ? "" : "s"}.`);
			}),
		);
}

interface AddOptions {
	metadata: string[];
	chat?: string;
	dependsOn: string[];
	maxAttempts?: number;
	allowDuplicates?: boolean;
	idempotencyKey?: string;
	watch?: boolean;
}

function taskBody(words: string[], options: AddOptions) {
	const body = check(
		CreateTaskBodySchema,
		{
			instruction: words.join(" "),
			...(options.metadata.length ? { metadata: parseMetadata(options.metadata) } : {}),
			...(options.chat ? { chat_id: options.chat } : {}),
			...(options.maxAttempts !== undefined ? { max_attempts: options.maxAttempts } : {}),
			...(options.allowDuplicates ? { allow_duplicates: true } : {}),
			...(options.dependsOn.length ? { depends_on: options.dependsOn } : {}),
		},
		"task",
		{
			instruction: "instruction",
			metadata: "-m",
			chat_id: "--chat",
			max_attempts: "--max-attempts",
			depends_on: "--depends-on",
		},
	);
	const key =
		options.idempotencyKey === undefined
			? undefined
			: check(IdempotencyKeySchema, options.idempotencyKey, "--idempotency-key");
	return { body, key };
}

/** 409 for an identical active task: say which one, and how to add it anyway. */
function withDuplicateHint(error: unknown): unknown {
	if (!(error instanceof CliError) || error.exitCode !== ExitCode.conflict) return error;
	const details = error.details as { task_id?: string; status?: string } | undefined;
	if (!details?.task_id || !details.status) return error;
	return new CliError(
		`an identical task is already ${details.status}: ${details.task_id}`,
		ExitCode.conflict,
		error.code,
		details,
		"pass --allow-duplicates to queue it anyway",
	);
}

function printCreated(ctx: Context, task: Task, replayed: boolean): void {
	const { out } = ctx;
	const { c } = out;
	if (replayed)
		out.line(`${c.bold(task.id)} was already submitted with this idempotency key (${statusColor(out, task.status)}).`);
	else
		out.line(
			`${c.bold(task.id)} ${statusColor(out, task.status)} ${c.dim("·")} ${oneLine(task.instruction, out.columns - task.id.length - 12)}`,
		);
}

function printTask(ctx: Context, t: Task): void {
	const { out } = ctx;
	const took = t.started_at !== null && t.finished_at !== null ? duration(t.finished_at - t.started_at) : undefined;
	out.line(
		fields(out, [
			["id", out.c.bold(t.id)],
			["status", `${statusColor(out, t.status)}${t.cancel_requested && t.status === "running" ? " (cancelling)" : ""}`],
			["kind", t.kind === "chat" ? "chat turn" : undefined],
			["user", t.user_id],
			["instruction", t.instruction],
			["chat", t.chat_id],
			["schedule", t.schedule_name],
			["parent", t.parent_task_id],
			["metadata", t.metadata ? JSON.stringify(t.metadata) : undefined],
			["attempts", `${t.attempts} of ${t.max_attempts}`],
			["model", t.model],
			["created", `${timestamp(t.created_at)} (${relativeTime(t.created_at)})`],
			["started", t.started_at ? timestamp(t.started_at) : undefined],
			["finished", t.finished_at ? `${timestamp(t.finished_at)}${took ? ` (took ${took})` : ""}` : undefined],
			[
				"tokens",
				t.usage.total_tokens
					? `${t.usage.input_tokens} in, ${t.usage.output_tokens} out, ${t.usage.total_tokens} total`
					: undefined,
			],
			["error", t.error ? out.c.red(t.error) : undefined],
			["result", t.result],
		]),
	);
}
