/** `sparky agent …`: the task agent: its status, tasks and schedules. */
import type { Command } from "commander";
import { act } from "../action.ts";
import { duration, oneLine, relativeTime, statusColor, table } from "../output.ts";
import { addScheduleCommands } from "./schedules.ts";
import { addTaskCommands } from "./tasks.ts";
import { addTopCommand } from "./top.ts";

const ORDER = ["waiting", "queued", "running", "succeeded", "failed", "cancelled"];

export function addAgentCommands(program: Command): void {
	const agent = program.command("agent").description("the task agent: status, tasks, schedules");

	agent
		.command("status")
		.description("the model, task counts, what runs now, the oldest queued task, recent failures")
		.action(
			act(async (ctx) => {
				const { data } = await ctx.api().agentStatus();
				const { out } = ctx;
				const { c } = out;
				if (out.json) return out.printJson(data);
				out.line(
					`${c.dim("model")}   ${data.model ? c.bold(data.model) : c.red(`not configured: ${data.model_error ?? "unknown"}`)}`,
				);
				out.line(`${c.dim("scope")}   ${data.scope === "all" ? "every user's tasks" : "your tasks"}`);
				const counts = [...ORDER, ...Object.keys(data.counts).filter((k) => !ORDER.includes(k))]
					.map((status) => `${statusColor(out, status)} ${data.counts[status] ?? 0}`)
					.join(c.dim(" · "));
				out.line(`${c.dim("tasks")}   ${counts}`);
				if (data.oldest_queued_age_ms !== null) {
					out.line(`${c.dim("queue")}   oldest queued task waiting for ${duration(data.oldest_queued_age_ms)}`);
				}
				if (data.running.length > 0) {
					out.line(`\n${c.bold("Running")}`);
					out.line(
						table(
							out,
							["ID", "USER", "ATTEMPT", "STARTED", "INSTRUCTION"],
							data.running.map((r) => [
								r.id,
								r.user_id,
								String(r.attempt),
								relativeTime(r.started_at),
								oneLine(r.instruction, Math.max(20, out.columns - 70)),
							]),
						),
					);
				}
				if (data.recent_failures.length > 0) {
					out.line(`\n${c.bold("Recent failures")}`);
					out.line(
						table(
							out,
							["ID", "USER", "FINISHED", "ERROR"],
							data.recent_failures.map((f) => [
								f.id,
								f.user_id,
								relativeTime(f.finished_at),
								c.red(oneLine(f.error ?? "", Math.max(20, out.columns - 60))),
							]),
						),
					);
				}
			}),
		);

	addTopCommand(agent);
	addTaskCommands(agent);
	addScheduleCommands(agent);
}
