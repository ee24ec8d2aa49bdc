/** `sparky agent tasks …`: queue, list, inspect, follow, cancel, delete and clear tasks. */
import { type Command, InvalidArgumentError, Option } from "commander";
import { formatTokenUsage, formatUsd } from "../../src/client/index.ts";
import {
	ClearTasksBodySchema,
	CreateTaskBodySchema,
	FileLimits,
	IdempotencyKeySchema,
	ListTasksQuerySchema,
	statusInWords,
	type Task,
	TaskKindSchema,
	TaskStatusSchema,
	TERMINAL_STATUSES,
	WEBHOOK_EVENTS,
	type WebhookDelivery,
} from "../../src/protocol/index.ts";
import { act } from "../action.ts";
import type { Context } from "../context.ts";
import { CliError, ExitCode } from "../errors.ts";
import { duration, fields, oneLine, relativeTime, statusColor, table, taskStatusText, timestamp } from "../output.ts";
import { formatBytes } from "../progress.ts";
import { confirmed } from "../prompt.ts";
import { discardUploads, uploadAttachments } from "../upload.ts";
import { check, checkId, collect, dollars, integer, parseBefore, parseMetadata } from "../validate.ts";
import { watchTask } from "../watch.ts";
import { addApprovalCommands, printApprovals } from "./task-approvals.ts";

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
		.option("--approve <tools>", "ask before these tools run, comma separated (write_file,http_fetch)", collect, [])
		.option("--max-cost <usd>", "the task's budget in US dollars: past it the run pauses for your decision", dollars)
		.option(
			"-a, --attach <path>",
			`a file for the agent to read, repeatable (at most ${FileLimits.attachmentsPerMessage}; uploaded first)`,
			collect,
			[],
		)
		.option(
			"--webhook <url>",
			"POST a signed JSON body to this URL when the task ends or waits for approval (docs/webhooks.md)",
		)
		.addOption(
			new Option("--webhook-event <type>", "only for this event (repeatable; default all)")
				.choices(WEBHOOK_EVENTS)
				.argParser((value: string, previous: string[] = []) => [...previous, value]),
		)
		.option("-w, --watch", "follow the task live until it ends; the exit code tells how it ended")
		.addHelpText(
			"after",
			'\nExamples:\n  sparky agent tasks add "List files in the workspace and summarise README.md" --watch\n  sparky agent tasks add "Summarise README.md" --webhook https://example.com/hooks/sparky --webhook-event task.succeeded\n  sparky agent tasks add "Summarise the attached file" --attach report.pdf --watch\n  sparky agent tasks add "what time is it" -m source=cron --idempotency-key nightly-2026-11-24\n  sparky agent tasks add "Write notes.md with: hello" --approve write_file --watch\n  sparky agent tasks add "Summarise README.md" --max-cost 0.50 --watch',
		)
		.action(
			act(async (ctx, words: string[], options: AddOptions) => {
				const { body, key } = taskBody(words, options);
				const api = ctx.api();
				// Everything else is checked first: nothing is uploaded for a task that can't be sent.
				const files = await uploadAttachments(ctx, options.attach);
				const attachments = files.map((f) => f.id);
				const answer = await api
					.createTask(attachments.length ? { ...body, attachments } : body, key)
					.catch(async (error: unknown) => {
						// Refused: the uploads would only wait to expire. (Unreachable: the task may exist.)
						if (error instanceof CliError && error.code !== "unreachable") await discardUploads(ctx, files);
						throw withDuplicateHint(error);
					});
				const task = answer.data.task;
				const replayed = answer.headers.get("Idempotent-Replayed") === "true";
				// The same task sent before: it has its own attachments, these go again.
				if (replayed) await discardUploads(ctx, files);
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
					taskStatusText(out, t),
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
				printApprovals(ctx, data.task.id, data.task.approvals ?? []);
				printDeliveries(ctx, data.task.webhook_deliveries ?? []);
			}),
		);

	tasks
		.command("watch")
		.description("follow a task live until it ends (exit 0 succeeded, 1 failed or cancelled)")
		.argument("<id>", "task id")
		.action(act(async (ctx, id: string) => watchTask(ctx, checkId(id, "task id"))));

	addApprovalCommands(tasks);

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
	approve: string[];
	maxCost?: number;
	attach: string[];
	webhook?: string;
	webhookEvent?: string[];
	watch?: boolean;
}

function taskBody(words: string[], options: AddOptions) {
	if (options.webhookEvent?.length && !options.webhook)
		throw new CliError("--webhook-event goes with --webhook URL", ExitCode.usage, "usage");
	const webhook = options.webhook
		? { url: options.webhook, ...(options.webhookEvent?.length ? { events: [...new Set(options.webhookEvent)] } : {}) }
		: undefined;
	const body = check(
		CreateTaskBodySchema,
		{
			instruction: words.join(" "),
			...(options.metadata.length ? { metadata: parseMetadata(options.metadata) } : {}),
			...(options.chat ? { chat_id: options.chat } : {}),
			...(options.maxAttempts !== undefined ? { max_attempts: options.maxAttempts } : {}),
			...(options.allowDuplicates ? { allow_duplicates: true } : {}),
			...(options.dependsOn.length ? { depends_on: options.dependsOn } : {}),
			...(options.approve.length ? { approve: splitList(options.approve) } : {}),
			...(options.maxCost !== undefined ? { max_cost_usd: options.maxCost } : {}),
			...(webhook ? { webhook } : {}),
		},
		"task",
		{
			instruction: "instruction",
			metadata: "-m",
			chat_id: "--chat",
			max_attempts: "--max-attempts",
			depends_on: "--depends-on",
			approve: "--approve",
			max_cost_usd: "--max-cost",
			webhook: "--webhook",
		},
	);
	const key =
		options.idempotencyKey === undefined
			? undefined
			: check(IdempotencyKeySchema, options.idempotencyKey, "--idempotency-key");
	return { body, key };
}

/** `--approve a,b --approve c` → [a, b, c] (blanks dropped, each checked by the schema). */
function splitList(values: readonly string[]): string[] {
	return values
		.flatMap((v) => v.split(","))
		.map((v) => v.trim())
		.filter(Boolean);
}

/** 409 for an identical active task: say which one, and how to add it anyway. */
function withDuplicateHint(error: unknown): unknown {
	if (!(error instanceof CliError) || error.exitCode !== ExitCode.conflict) return error;
	const details = error.details as { task_id?: string; status?: string } | undefined;
	if (!details?.task_id || !details.status) return error;
	return new CliError(
		`an identical task is already ${statusInWords(details.status)}: ${details.task_id}`,
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

/** A task's webhook deliveries (newest first, as `GET /api/tasks/:id` has them): how each went. */
function printDeliveries(ctx: Context, deliveries: readonly WebhookDelivery[]): void {
	const { out } = ctx;
	const { c } = out;
	if (deliveries.length === 0) return;
	out.line("");
	out.line(c.bold("webhook deliveries"));
	for (const d of deliveries) {
		const status =
			d.status === "delivered" ? c.green(d.status) : d.status === "failed" ? c.red(d.status) : c.yellow(d.status);
		const last =
			d.last_status_code !== null || d.last_error
				? ` · last: ${[d.last_status_code !== null ? `HTTP ${d.last_status_code}` : "", d.last_error ?? ""].filter(Boolean).join(" ")}`
				: "";
		const when =
			d.delivered_at !== null
				? ` ${relativeTime(d.delivered_at)}`
				: d.next_attempt_at !== null
					? ` · next try ${timestamp(d.next_attempt_at)}`
					: "";
		out.line(
			`  ${d.id}  ${d.type}  ${status}${when}  ${c.dim(`${d.attempts} ${d.attempts === 1 ? "attempt" : "attempts"}${last}`)}`,
		);
	}
}

function printTask(ctx: Context, t: Task): void {
	const { out } = ctx;
	const took = t.started_at !== null && t.finished_at !== null ? duration(t.finished_at - t.started_at) : undefined;
	out.line(
		fields(out, [
			["id", out.c.bold(t.id)],
			["status", `${taskStatusText(out, t)}${t.cancel_requested && t.status === "running" ? " (cancelling)" : ""}`],
			["kind", t.kind === "chat" ? "chat turn" : undefined],
			["user", t.user_id],
			["instruction", t.instruction],
			["chat", t.chat_id],
			["schedule", t.schedule_name],
			["parent", t.parent_task_id],
			["metadata", t.metadata ? JSON.stringify(t.metadata) : undefined],
			["attachments", t.attachments?.map((f) => `${f.name} (${formatBytes(f.size)}, ${f.type}) ${f.id}`).join("\n")],
			["attempts", `${t.attempts} of ${t.max_attempts}`],
			["model", t.model],
			["created", `${timestamp(t.created_at)} (${relativeTime(t.created_at)})`],
			["started", t.started_at ? timestamp(t.started_at) : undefined],
			["finished", t.finished_at ? `${timestamp(t.finished_at)}${took ? ` (took ${took})` : ""}` : undefined],
			[
				"tokens",
				t.usage.total_tokens
					? formatTokenUsage({
							inputTokens: t.usage.input_tokens,
							outputTokens: t.usage.output_tokens,
							cachedInputTokens: t.usage.cached_input_tokens,
							reasoningTokens: t.usage.reasoning_tokens,
						})
					: undefined,
			],
			// Absent from servers before #26; `null`: a model call had no known price.
			["cost", t.usage.cost_usd !== undefined && t.usage.total_tokens ? formatUsd(t.usage.cost_usd) : undefined],
			["budget", t.max_cost_usd !== undefined ? formatUsd(t.max_cost_usd) : undefined],
			["webhook", t.webhook ? `${t.webhook.url} (${t.webhook.events.join(", ")})` : undefined],
			["error", t.error ? out.c.red(t.error) : undefined],
			["result", t.result],
		]),
	);
}
