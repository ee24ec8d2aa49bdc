import { type TaskStatus, TaskStatusSchema } from "../../../src/protocol/index.ts";
import { firstLine, formatTime } from "../lib/format.ts";
import { onNavClick } from "../lib/nav-click.ts";
import type { Route } from "../lib/route.ts";
import type { Session } from "../state/session.ts";
import { NewTaskForm } from "./NewTaskForm.tsx";
import { StatusBadge, UnreadBadge } from "./StatusBadge.tsx";

interface Props {
	session: Session;
	navigate: (route: Route) => void;
}

/** Background tasks with live status badges, a status filter and a form for new ones. */
export function TaskList({ session, navigate }: Props) {
	const tasks = session.timeline.tasks(session.taskFilter);
	const route = session.route;
	return (
		<section class="side-section" aria-labelledby="activity-heading">
			<div class="side-head">
				<h2 id="activity-heading">Agent activity</h2>
			</div>
			<NewTaskForm session={session} navigate={navigate} />
			<div class="filter">
				<label for="task-filter">Status</label>
				<select
					id="task-filter"
					value={session.taskFilter ?? ""}
					onChange={(e) => void session.setTaskFilter((e.currentTarget.value || undefined) as TaskStatus | undefined)}
				>
					<option value="">All</option>
					{TaskStatusSchema.options.map((status) => (
						<option key={status} value={status}>
							{status}
						</option>
					))}
				</select>
			</div>
			{tasks.length === 0 ? (
				<p class="muted">{session.taskFilter ? `No ${session.taskFilter} tasks.` : "No tasks yet."}</p>
			) : (
				<ul class="side-list" aria-label="Tasks">
					{tasks.map((task) => (
						<li key={task.id}>
							<a
								href={`/task/${task.id}`}
								class="side-link task-link"
								aria-current={route.kind === "task" && route.id === task.id ? "page" : undefined}
								data-task-id={task.id}
								onClick={(e) => onNavClick(e, () => navigate({ kind: "task", id: task.id }))}
							>
								<span class="side-title">{firstLine(task.instruction, 90) || task.id}</span>
								<span class="side-meta">
									<StatusBadge
										status={
											task.status !== "awaiting_approval" && session.timeline.waitsForApproval("task", task.id)
												? "awaiting_approval"
												: task.status
										}
									/>
									<time dateTime={new Date(task.updatedAt).toISOString()}>{formatTime(task.updatedAt)}</time>
									<UnreadBadge count={task.unread} />
								</span>
							</a>
						</li>
					))}
				</ul>
			)}
		</section>
	);
}
