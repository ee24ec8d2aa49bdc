import type { TimelineItem } from "../../../src/client/index.ts";
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
	// Its own route, not the page's: the board opens a task in place (AgentBoard.tsx).
	const items = routeItems({ kind: "task", id: taskId }, session.timeline);
	const status = summary?.status ?? details?.status;
	// Approve and Deny only for whoever may decide (GET /api/tasks/:id's can_decide; until it has said, its creator).
	const canDecide = details ? (details.can_decide ?? details.user_id === session.me.user_id) : false;
	const result = status === "succeeded" ? (summary?.result ?? details?.result ?? undefined) : undefined;

	// The answer is shown once: as the Result on top; its message in the steps points there.
	const answerId = result ? answerMessage(items, result) : undefined;

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
			<TimelineView
				items={items}
				foldAttempts
				openAtTop
				answerId={answerId}
				loadMemory={(id) => session.memories.get(id)}
				before={
					<>
						{result && <TaskResult text={result} />}
						<FollowUps session={session} task={details} navigate={navigate} />
					</>
				}
				onDecide={
					canDecide ? (approval, approved, reason) => session.decideApproval(approval, approved, reason) : undefined
				}
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
							{!session.catchingUp(taskId) && (
								<FinalStatus
									summary={summary}
									details={details}
									liveCost={session.timeline.taskCost(taskId)}
									budgetWait={session.timeline.pendingApprovals({ taskId }).some((a) => a.kind === "budget")}
								/>
							)}
						</>
					) : null
				}
			/>
		</section>
	);
}

/** The run's last message from Sparky when it is the task's answer (`result` is its text, trimmed). */
function answerMessage(items: TimelineItem[], result: string): string | undefined {
	const last = items.findLast((i) => i.kind === "message" && i.role === "assistant");
	return last?.kind === "message" && !last.streaming && last.text.trim() === result.trim() ? last.id : undefined;
}
