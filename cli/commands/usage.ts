/** `sparky usage` (what model calls cost) and `sparky budget` (day and month caps). */
import { type Command, InvalidArgumentError, Option } from "commander";
import { formatCount, formatUsd } from "../../src/client/index.ts";
import {
	type BudgetStatus,
	parseDuration,
	UsageGroupingSchema,
	UsageQuerySchema,
	type UsageReport,
	UserBudgetBodySchema,
	UserIdSchema,
} from "../../src/protocol/index.ts";
import { act } from "../action.ts";
import type { Context } from "../context.ts";
import { usageError } from "../errors.ts";
import { fields, oneLine, relativeTime, table, timestamp } from "../output.ts";
import { check, dollars, integer } from "../validate.ts";

export function addUsageCommands(program: Command): void {
	program
		.command("usage")
		.description("what the agent's model calls cost: tokens and dollars per day, user, model or task")
		.option("--since <when>", "from an age (7d, 12h), a date (2026-11-01) or a date-time (default: 30 days ago)")
		.option("--until <when>", "up to (not including) an age ago, a date or a date-time (default: now)")
		.addOption(new Option("--by <grouping>", "one row per").choices(UsageGroupingSchema.options).default("day"))
		.option("--user <id>", "admins: one user's usage only (default: everyone's; others see only their own)")
		.option("-l, --limit <n>", "at most this many rows (1-1000, default 100)", integer)
		.addHelpText(
			"after",
			"\nA model without a known price shows its tokens and `price unknown`, never $0.\n\nExamples:\n  sparky usage --since 7d\n  sparky usage --by model --since 2026-11-01\n  sparky usage --by task --limit 10 --json",
		)
		.action(
			act(async (ctx, options: UsageOptions) => {
				const now = Date.now();
				const query = check(
					UsageQuerySchema,
					{
						by: options.by,
						...(options.since !== undefined ? { since: instant(options.since, now, "--since") } : {}),
						...(options.until !== undefined ? { until: instant(options.until, now, "--until") } : {}),
						...(options.user !== undefined ? { user: check(UserIdSchema, options.user, "--user") } : {}),
						...(options.limit !== undefined ? { limit: options.limit } : {}),
					},
					"option",
					{ by: "--by", since: "--since", until: "--until", user: "--user", limit: "--limit" },
				);
				const { data } = await ctx.api().usage(query);
				if (ctx.out.json) return ctx.out.printJson(data);
				printReport(ctx, data, options.user);
			}),
		);

	const budget = program
		.command("budget")
		.description("your budget: what you spent today and this month, and the caps (admins: anyone's, and set them)");

	budget
		.command("show", { isDefault: true })
		.description("where you (or, for admins, a user) stand: spent today and this month, the caps, when they reset")
		.argument("[user]", "admins: this user's budget")
		.action(
			act(async (ctx, user: string | undefined) => {
				const api = ctx.api();
				const { data } = user ? await api.userBudget(check(UserIdSchema, user, "user id")) : await api.myBudget();
				if (ctx.out.json) return ctx.out.printJson(data);
				printBudget(ctx, data);
			}),
		);

	budget
		.command("set")
		.description("set a user's day and month caps in US dollars (admins); `none` goes back to the server's default")
		.argument("<user>", "user id")
		.option("--day <usd>", "the user's cap per UTC day, or `none` for the default", capValue)
		.option("--month <usd>", "the user's cap per UTC month, or `none` for the default", capValue)
		.addHelpText(
			"after",
			"\nExamples:\n  sparky budget set alice --day 5 --month 50\n  sparky budget set alice --day none   # the server's default again (SPARKY_USER_BUDGET_USD_DAY)",
		)
		.action(
			act(async (ctx, user: string, options: { day?: Cap; month?: Cap }) => {
				check(UserIdSchema, user, "user id");
				if (options.day === undefined && options.month === undefined)
					throw usageError("say what to set: --day USD and/or --month USD (`none`: the server's default)");
				const body = check(
					UserBudgetBodySchema,
					{
						...(options.day !== undefined ? { day_usd: capUsd(options.day) } : {}),
						...(options.month !== undefined ? { month_usd: capUsd(options.month) } : {}),
					},
					"option",
					{ day_usd: "--day", month_usd: "--month" },
				);
				const { data } = await ctx.api().setUserBudget(user, body);
				if (ctx.out.json) return ctx.out.printJson(data);
				ctx.out.line(`Budget of ${ctx.out.c.bold(user)} set.`);
				printBudget(ctx, data);
			}),
		);
}

interface UsageOptions {
	since?: string;
	until?: string;
	by: string;
	user?: string;
	limit?: number;
}

/** `--since` / `--until`: an age (`7d`: that long ago), a date or a date-time; what `GET /api/usage` takes. */
export function instant(value: string, now: number, flag: string): string {
	const age = parseDuration(value);
	if (age !== undefined) return String(now - age);
	if (/^\d{4}-\d{2}-\d{2}/.test(value) && !Number.isNaN(Date.parse(value))) return value;
	throw usageError(
		`invalid ${flag} "${value}": use an age (7d, 12h), a date (2026-11-01) or a date-time (2026-11-01T09:00:00Z)`,
	);
}

/** A cap as given: dollars, or `none` (commander keeps no `null` an option parser returns). */
type Cap = number | "none";

/** `--day 5`, `--day 0.5`, `--day none` (the server's default). */
function capValue(value: string): Cap {
	if (/^(none|default)$/i.test(value.trim())) return "none";
	try {
		return dollars(value);
	} catch {
		throw new InvalidArgumentError("expected an amount of US dollars (5, 0.50) or `none` for the server's default.");
	}
}

/** What `PUT /api/users/:id/budget` takes: `null` for the server's default. */
const capUsd = (cap: Cap): number | null => (cap === "none" ? null : cap);

const KEY_HEAD: Record<UsageReport["by"], string> = { day: "DAY (UTC)", user: "USER", model: "MODEL", task: "TASK" };

function printReport(ctx: Context, report: UsageReport, user: string | undefined): void {
	const { out } = ctx;
	const { c } = out;
	const whose = user ? ` of ${user}` : "";
	out.line(
		c.dim(`Usage${whose} by ${report.by}, ${timestamp(report.since)} → ${timestamp(report.until)} (local time)`),
	);
	if (report.rows.length === 0) {
		out.line("No model calls in that time.");
		return;
	}
	const task = report.by === "task";
	const head = [KEY_HEAD[report.by], "RUNS", "CALLS", "INPUT", "OUTPUT", "COST", ...(task ? ["INSTRUCTION"] : [])];
	const figures = (r: Omit<UsageReport["rows"][number], "key" | "label">) => [
		formatCount(r.runs),
		formatCount(r.calls),
		formatCount(r.input_tokens),
		formatCount(r.output_tokens),
		r.cost_usd === null ? c.yellow(formatUsd(null)) : formatUsd(r.cost_usd),
	];
	const keyWidth = Math.max(...report.rows.map((r) => r.key.length), 5);
	const rows = report.rows.map((r) => [
		r.key,
		...figures(r),
		...(task ? [oneLine(r.label ?? "", Math.max(20, out.columns - keyWidth - 60))] : []),
	]);
	rows.push([c.bold("total"), ...figures(report.total).map((f) => c.bold(f)), ...(task ? [""] : [])]);
	out.line(table(out, head, rows));
	const t = report.total;
	if (t.cached_input_tokens || t.reasoning_tokens) {
		out.line(
			c.dim(
				`of which ${formatCount(t.cached_input_tokens)} input tokens came from the prompt cache, ${formatCount(t.reasoning_tokens)} output tokens were reasoning`,
			),
		);
	}
	if (t.unpriced_calls > 0) {
		out.line(
			c.yellow(
				`${formatCount(t.unpriced_calls)} of ${formatCount(t.calls)} model calls had no known price: their tokens count, their cost is not known.`,
			),
		);
	}
}

function printBudget(ctx: Context, b: BudgetStatus): void {
	const { out } = ctx;
	const { c } = out;
	const period = (p: BudgetStatus["day"], name: string) => {
		const from = p.source === "user" ? `set for ${b.user_id}` : p.source === "default" ? "the default" : "";
		const spent =
			p.cap_usd === null
				? `${formatUsd(p.spent_usd)} spent · no cap`
				: `${formatUsd(p.spent_usd)} of ${formatUsd(p.cap_usd)}${from ? ` (${from})` : ""}`;
		const over = p.cap_usd !== null && p.spent_usd >= p.cap_usd;
		return `${over ? c.red(`${spent} · spent: nothing more runs until it resets`) : spent} · resets ${timestamp(p.resets_at)} (${relativeTime(p.resets_at)}) ${c.dim(`(the UTC ${name})`)}`;
	};
	out.line(
		fields(out, [
			["user", b.user_id],
			["today", period(b.day, "day")],
			["this month", period(b.month, "month")],
			[
				"each task",
				b.task_default_usd === null
					? "no budget unless it is given one (--max-cost)"
					: `pauses for a decision past ${formatUsd(b.task_default_usd)}, unless it is given its own (--max-cost)`,
			],
		]),
	);
}
