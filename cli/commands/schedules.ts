/** `sparky agent schedule …`: instructions that run on an interval or a cron expression. */
import type { Command } from "commander";
import { CreateScheduleBodySchema, type Schedule, ScheduleNameSchema } from "../../src/protocol/index.ts";
import { parseTiming } from "../../src/schedules/timing.ts";
import { act } from "../action.ts";
import type { Context } from "../context.ts";
import { usageError } from "../errors.ts";
import { fields, oneLine, relativeTime, table, timestamp } from "../output.ts";
import { check, collect, parseMetadata } from "../validate.ts";
import { watchTask } from "../watch.ts";

export function addScheduleCommands(agent: Command): void {
	const schedule = agent.command("schedule").alias("schedules").description("recurring tasks");

	schedule
		.command("list")
		.alias("ls")
		.description("your schedules")
		.action(
			act(async (ctx) => {
				const { data } = await ctx.api().listSchedules();
				const { out } = ctx;
				if (out.json) return out.printJson(data);
				if (data.schedules.length === 0) return out.line(out.c.dim("No schedules."));
				const rows = data.schedules.map((s) => [
					s.name,
					timing(s),
					s.enabled ? out.c.green("on") : out.c.dim("off"),
					s.enabled ? relativeTime(s.next_run_at) : "—",
					relativeTime(s.last_run_at),
					oneLine(s.instruction, Math.max(20, out.columns - 70)),
				]);
				out.line(table(out, ["NAME", "WHEN", "ENABLED", "NEXT", "LAST", "INSTRUCTION"], rows));
			}),
		);

	schedule
		.command("show")
		.alias("get")
		.description("one schedule")
		.argument("<name>", "schedule name")
		.action(
			act(async (ctx, name: string) => {
				const { data } = await ctx.api().getSchedule(check(ScheduleNameSchema, name, "schedule name"));
				if (ctx.out.json) return ctx.out.printJson(data);
				printSchedule(ctx, data.schedule);
			}),
		);

	schedule
		.command("add")
		.description('create a schedule: --every 30m or --cron "0 9 * * 1-5" (the words are the instruction)')
		.argument("<name>", "a name for it (letters, digits, _ . -)")
		.argument("<instruction...>", "what the agent should do each time")
		.option("--every <duration>", "a fixed interval, at least 1m: 30m, 2h, 1d")
		.option("--cron <expression>", "five cron fields: minute hour day-of-month month day-of-week")
		.option("--timezone <tz>", "IANA time zone for --cron (default UTC)")
		.option(
			"-m, --metadata <key=value>",
			"metadata for its tasks, repeatable (key:=json for a JSON value)",
			collect,
			[],
		)
		.option("--disabled", "create it switched off")
		.addHelpText(
			"after",
			'\nExamples:\n  sparky agent schedule add standup --cron "0 9 * * 1-5" --timezone Europe/Paris "List my tasks"\n  sparky agent schedule add tick --every 30m "what time is it"',
		)
		.action(
			act(
				async (
					ctx,
					name: string,
					words: string[],
					options: { every?: string; cron?: string; timezone?: string; metadata: string[]; disabled?: boolean },
				) => {
					if ((options.every === undefined) === (options.cron === undefined)) {
						throw usageError('give exactly one of --every (e.g. 30m) or --cron (e.g. "0 9 * * 1-5")');
					}
					const timingCheck = parseTiming(options);
					if (!timingCheck.ok) {
						const { message, field, position } = timingCheck.error;
						throw usageError(`${message}${field ? ` (${field}${position ? `, column ${position}` : ""})` : ""}`);
					}
					const body = check(
						CreateScheduleBodySchema,
						{
							name,
							instruction: words.join(" "),
							...(options.every ? { every: options.every } : {}),
							...(options.cron ? { cron: options.cron } : {}),
							...(options.timezone ? { timezone: options.timezone } : {}),
							...(options.metadata.length ? { metadata: parseMetadata(options.metadata) } : {}),
							...(options.disabled ? { enabled: false } : {}),
						},
						"schedule",
						{
							name: "name",
							instruction: "instruction",
							every: "--every",
							cron: "--cron",
							timezone: "--timezone",
							metadata: "-m",
						},
					);
					const { data } = await ctx.api().createSchedule(body);
					if (ctx.out.json) return ctx.out.printJson(data);
					const s = data.schedule;
					ctx.out.line(
						`Created schedule ${ctx.out.c.bold(s.name)}: ${timing(s)}, ${
							s.enabled ? `next run ${relativeTime(s.next_run_at)} (${timestamp(s.next_run_at)})` : "disabled"
						}.`,
					);
				},
			),
		);

	schedule
		.command("delete")
		.alias("rm")
		.description("delete a schedule (its past tasks stay)")
		.argument("<name>", "schedule name")
		.action(
			act(async (ctx, name: string) => {
				await ctx.api().deleteSchedule(check(ScheduleNameSchema, name, "schedule name"));
				if (ctx.out.json) ctx.out.printJson({ deleted: true, name });
				else ctx.out.line(`Deleted schedule ${name}.`);
			}),
		);

	for (const enabled of [true, false]) {
		schedule
			.command(enabled ? "enable" : "disable")
			.description(enabled ? "switch a schedule on (it fires from the next slot)" : "switch a schedule off")
			.argument("<name>", "schedule name")
			.action(
				act(async (ctx, name: string) => {
					const { data } = await ctx
						.api()
						.setScheduleEnabled(check(ScheduleNameSchema, name, "schedule name"), enabled);
					if (ctx.out.json) return ctx.out.printJson(data);
					const s = data.schedule;
					ctx.out.line(
						enabled
							? `Enabled ${s.name}: next run ${relativeTime(s.next_run_at)} (${timestamp(s.next_run_at)}).`
							: `Disabled ${s.name}.`,
					);
				}),
			);
	}

	schedule
		.command("run")
		.description("run a schedule's instruction now, as a task")
		.argument("<name>", "schedule name")
		.option("-w, --watch", "follow the task until it ends")
		.action(
			act(async (ctx, name: string, options: { watch?: boolean }) => {
				const { data } = await ctx.api().runSchedule(check(ScheduleNameSchema, name, "schedule name"));
				if (!options.watch) {
					if (ctx.out.json) return ctx.out.printJson(data);
					return ctx.out.line(`Started ${ctx.out.c.bold(data.task.id)} from schedule ${name}.`);
				}
				if (!ctx.out.json) ctx.out.line(`Started ${ctx.out.c.bold(data.task.id)} from schedule ${name}.`);
				return watchTask(ctx, data.task.id, data.task);
			}),
		);
}

function timing(s: Schedule): string {
	if (s.every) return `every ${s.every}`;
	return `cron "${s.cron}"${s.timezone && s.timezone !== "UTC" ? ` ${s.timezone}` : ""}`;
}

function printSchedule(ctx: Context, s: Schedule): void {
	const { out } = ctx;
	out.line(
		fields(out, [
			["name", out.c.bold(s.name)],
			["when", timing(s)],
			["time zone", s.cron ? s.timezone : undefined],
			["enabled", s.enabled ? out.c.green("yes") : out.c.dim("no")],
			["next run", s.enabled ? `${timestamp(s.next_run_at)} (${relativeTime(s.next_run_at)})` : undefined],
			["last run", s.last_run_at ? `${timestamp(s.last_run_at)} (${relativeTime(s.last_run_at)})` : "never"],
			["last task", s.last_task_id],
			["instruction", s.instruction],
			["metadata", s.metadata ? JSON.stringify(s.metadata) : undefined],
			["created", timestamp(s.created_at)],
		]),
	);
}
