import { useEffect, useState } from "preact/hooks";
import type { Task } from "../../../src/protocol/index.ts";
import { firstLine } from "../lib/format.ts";
import { onNavClick } from "../lib/nav-click.ts";
import type { Route } from "../lib/route.ts";
import type { Session } from "../state/session.ts";
import { StatusBadge } from "./StatusBadge.tsx";

interface Props {
	session: Session;
	task: Task | undefined;
	navigate: (route: Route) => void;
}

/**
 * Links between a task and its follow-ups: the task that made this one, and the ones this
 * one made (`GET /api/tasks?parent_task_id=`), read again when its status changes.
 */
export function FollowUps({ session, task, navigate }: Props) {
	const [children, setChildren] = useState<Task[]>([]);
	const id = task?.id;
	const status = task?.status;
	useEffect(() => {
		if (!id) return;
		let live = true;
		session.api
			.followUps(id)
			.then((tasks) => live && setChildren(tasks))
			.catch(() => undefined); // the links are extra: the run itself is shown either way
		return () => {
			live = false;
		};
	}, [id, status]);

	const parent = task?.parent_task_id ?? undefined;
	const [parentTitle, setParentTitle] = useState<string | undefined>();
	useEffect(() => {
		setParentTitle(undefined);
		if (!parent) return;
		let live = true;
		session.api
			.task(parent)
			.then((t) => live && setParentTitle(t.instruction))
			.catch(() => undefined); // not visible to this viewer: its id stands in
		return () => {
			live = false;
		};
	}, [parent]);

	if (!parent && children.length === 0) return null;
	const link = (taskId: string, text: string) => (
		<a href={`/task/${taskId}`} onClick={(e) => onNavClick(e, () => navigate({ kind: "task", id: taskId }))}>
			{text}
		</a>
	);
	return (
		<nav class="follow-ups" aria-label="Related tasks">
			{parent && (
				<p class="follow-up-of">
					Follow-up of{" "}
					{link(parent, firstLine(parentTitle ?? session.timeline.task(parent)?.instruction ?? parent, 90))}
				</p>
			)}
			{children.length > 0 && (
				<>
					<p class="follow-ups-label">Follow-ups it created:</p>
					<ul>
						{children.map((child) => (
							<li key={child.id} data-task-id={child.id}>
								{link(child.id, firstLine(child.instruction, 90))}{" "}
								<StatusBadge status={session.timeline.task(child.id)?.status ?? child.status} />
							</li>
						))}
					</ul>
				</>
			)}
		</nav>
	);
}
