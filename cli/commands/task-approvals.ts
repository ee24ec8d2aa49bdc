/** `sparky agent tasks approve|deny`: deciding what a task waits for, and how its approvals print. */
import type { Command } from "commander";
import { budgetQuestion, formatUsd, parseBudgetAsk } from "../../src/client/index.ts";
import { type Approval, DecideApprovalBodySchema } from "../../src/protocol/index.ts";
import { act } from "../action.ts";
import type { Context } from "../context.ts";
import { CliError, ExitCode } from "../errors.ts";
import { oneLine, relativeTime, timestamp } from "../output.ts";
import { check, checkId } from "../validate.ts";

/** `tasks approve TASK [APPROVAL]` and `tasks deny …`: a tool call, or more money for a task. */
export function addApprovalCommands(tasks: Command): void {
	for (const approved of [true, false]) {
		const verb = approved ? "approve" : "deny";
		tasks
			.command(verb)
			.description(
				approved
					? "approve a tool call the task waits for: it runs, and the task goes on"
					: "deny a tool call the task waits for: the agent is told (with your reason) and goes on without it",
			)
			.argument("<task>", "task id")
			.argument("[approval]", "approval id (default: the task's only pending approval)")
			.option("-r, --reason <text>", approved ? "why (kept with the decision)" : "why not (the agent reads it)")
			.addHelpText(
				"after",
				`\nExamples:\n  sparky agent tasks ${verb} task_Ab12…\n  sparky agent tasks ${verb} task_Ab12… apr_Cd34… --reason "${approved ? "fine, it is a scratch file" : "keep it"}"`,
			)
			.action(
				act(async (ctx, taskId: string, approvalId: string | undefined, options: { reason?: string }) =>
					decide(ctx, taskId, approvalId, approved, options.reason),
				),
			);
	}
}

/** `tasks approve|deny TASK [APPROVAL]`: one decision; without APPROVAL, the task's only pending one. */
async function decide(
	ctx: Context,
	taskId: string,
	approvalId: string | undefined,
	approved: boolean,
	reason: string | undefined,
): Promise<void> {
	const verb = approved ? "approve" : "deny";
	checkId(taskId, "task id");
	if (approvalId !== undefined) checkId(approvalId, "approval id");
	const body = check(DecideApprovalBodySchema, { approved, ...(reason !== undefined ? { reason } : {}) }, "option", {
		reason: "--reason",
	});
	const api = ctx.api();
	const id = approvalId ?? (await onlyPending(ctx, taskId, verb));
	const { data } = await api.decideApproval(taskId, id, body).catch((error: unknown) => {
		if (error instanceof CliError && error.exitCode === ExitCode.conflict) {
			throw new CliError(
				`approval ${id} was already decided (or expired): ${error.message}`,
				ExitCode.conflict,
				error.code,
				error.details,
				`see \`sparky agent tasks get ${taskId}\``,
			);
		}
		throw error;
	});
	const { out } = ctx;
	if (out.json) return out.printJson(data);
	const a = data.approval;
	const why = a.reason ? ` ${out.c.dim(`(${a.reason})`)}` : "";
	const ask = a.kind === "budget" ? parseBudgetAsk(a.input) : undefined;
	if (a.kind === "budget") {
		const more = ask ? `${formatUsd(ask.more_usd)} more` : "more";
		if (approved) out.line(out.c.green(`✔ Allowed ${more} for ${taskId} (${a.id})`));
		else out.line(out.c.yellow(`✖ Stopped ${taskId}: no more spending (${a.id})`) + why);
		if (approved) out.line(out.c.dim(`${taskId} goes on; follow it with \`sparky agent tasks watch ${taskId}\``));
		return;
	}
	const call = `${out.c.bold(a.tool)} ${out.c.dim(oneLine(JSON.stringify(a.input ?? {}), Math.max(20, out.columns - a.tool.length - 40)))}`;
	if (approved) out.line(out.c.green(`✔ Approved ${a.id}: `) + call);
	else out.line(out.c.yellow(`✖ Denied ${a.id}: `) + call + why);
	out.line(out.c.dim(`${taskId} goes on; follow it with \`sparky agent tasks watch ${taskId}\``));
}

/** The task's one pending approval; a clear error when it has none or several. */
async function onlyPending(ctx: Context, taskId: string, verb: string): Promise<string> {
	const { data } = await ctx.api().getTask(taskId);
	const pending = (data.task.approvals ?? []).filter((a: Approval) => a.status === "pending");
	const [first] = pending;
	if (first && pending.length === 1) return first.id;
	if (!first) {
		throw new CliError(
			`task ${taskId} has nothing waiting for a decision (it is ${data.task.status})`,
			ExitCode.conflict,
			"no_pending_approval",
			undefined,
			`see \`sparky agent tasks get ${taskId}\``,
		);
	}
	throw new CliError(
		`task ${taskId} waits for ${pending.length} approvals: name one`,
		ExitCode.usage,
		"usage",
		pending.map((a: Approval) => `${a.id}: ${approvalWhat(a, 60)}`),
		`sparky agent tasks ${verb} ${taskId} ${first.id}`,
	);
}

/** What an approval asks, on one line: the tool call (`delete_file {"path":…}`) or the budget question. */
function approvalWhat(a: Approval, width: number): string {
	if (a.kind === "budget") {
		const ask = parseBudgetAsk(a.input);
		return ask ? `budget: ${budgetQuestion(ask)}` : "budget: the task spent its budget; allow more?";
	}
	return `${a.tool} ${oneLine(JSON.stringify(a.input ?? {}), Math.max(20, width - a.tool.length))}`;
}

/** A task's approvals: pending ones with the commands that decide them, decided ones in a line. */
export function printApprovals(ctx: Context, taskId: string, approvals: readonly Approval[]): void {
	const { out } = ctx;
	const { c } = out;
	if (approvals.length === 0) return;
	out.line("");
	out.line(c.bold("approvals"));
	for (const a of approvals) {
		const budget = a.kind === "budget";
		const what = budget
			? c.bold(approvalWhat(a, out.columns))
			: `${c.bold(a.tool)} ${c.dim(oneLine(JSON.stringify(a.input ?? {}), Math.max(20, out.columns - a.tool.length - 40)))}`;
		// A budget's answer in its own words: more was allowed, or the task stopped.
		const status = !budget
			? a.status
			: a.status === "approved"
				? "allowed"
				: a.status === "denied"
					? "stopped"
					: a.status;
		const state =
			a.status === "pending"
				? c.magenta(`pending, expires ${timestamp(a.expires_at)}`)
				: `${status}${a.decided_by ? ` by ${a.decided_by}` : ""}${a.decided_at ? ` ${relativeTime(a.decided_at)}` : ""}${a.reason ? `: ${a.reason}` : ""}`;
		out.line(`  ${a.id}  ${what}  ${state}`);
		if (a.status === "pending") {
			out.line(c.dim(`    ${budget ? "allow" : "approve"}: sparky agent tasks approve ${taskId} ${a.id}`));
			out.line(
				c.dim(
					`    ${budget ? "stop" : "deny"}:    sparky agent tasks deny ${taskId} ${a.id}${budget ? "" : ' --reason "…"'}`,
				),
			);
		}
	}
}
