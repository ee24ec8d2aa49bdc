import type { Route } from "../lib/route.ts";
import type { Session } from "../state/session.ts";
import { routeItems } from "../state/threads.ts";
import { FinalStatus } from "./FinalStatus.tsx";
import { FollowUps } from "./FollowUps.tsx";
import { QuietNote } from "./QuietNote.tsx";
import { TaskHeader } from "./TaskHeader.tsx";
import { TaskResult } from "./TaskResult.tsx";
import { TimelineView } from "./TimelineView.tsx";

interface Props {
	session: Session;
	taskId: string;
	navigate: (route: Route) => void;
}

/**
 * One task: its instruction and id, its answer on top, related tasks, then every run's steps
 * live (earlier attempts folded) and how it ended.
 */
export function TaskView({ session, taskId, navigate }: Props) {
	const summary = session.timeline.task(taskId);
	const details = session.taskDetails.get(taskId);
	const load = session.load(`task:${taskId}`);
	const items = routeItems(session.route, session.timeline);
	const status = summary?.status ?? details?.status;
	const result = status === "succeeded" ? (summary?.result ?? details?.result ?? undefined) : undefined;

	return (
		<section class="thread" aria-labelledby="thread-title" data-task-id={taskId}>
			<TaskHeader session={session} taskId={taskId} summary={summary} details={details} navigate={navigate} />
			{load.status === "error" && (
				<p class="error banner" role="alert">
					Could not load this task: {load.error}{" "}
					<button type="button" class="link" onClick={() => void session.reload()}>
						Retry
					</button>
				</p>
			)}
			{result && <TaskResult text={result} />}
			<FollowUps session={session} task={details} navigate={navigate} />
			<TimelineView
				items={items}
				foldAttempts
				onDecide={(approval, approved, reason) => session.decideApproval(approval, approved, reason)}
				me={session.me.user_id}
				empty={
					<p class="muted empty">
						{load.status === "loaded" ? "Nothing has happened yet: the task is waiting to run." : "Loading…"}
					</p>
				}
				after={
					summary || details ? (
						<>
							<QuietNote last={session.liveness.lastOf(`task:${taskId}`, items)} running={status === "running"} />
							{!session.catchingUp(taskId) && <FinalStatus summary={summary} details={details} />}
						</>
					) : null
				}
			/>
		</section>
	);
}
