import { useState } from "preact/hooks";
import { isTerminal } from "../../../src/protocol/index.ts";
import { describeError } from "../lib/api.ts";
import { formatDuration, formatTime } from "../lib/format.ts";
import type { Session } from "../state/session.ts";
import { routeItems } from "../state/threads.ts";
import { FinalStatus } from "./FinalStatus.tsx";
import { StatusBadge } from "./StatusBadge.tsx";
import { TimelineView } from "./TimelineView.tsx";

interface Props {
	session: Session;
	taskId: string;
}

/** One task: its instruction and status, every run's steps live, and how it ended. */
export function TaskView({ session, taskId }: Props) {
	const [error, setError] = useState<string | undefined>();
	const [cancelling, setCancelling] = useState(false);
	const summary = session.timeline.task(taskId);
	const details = session.taskDetails.get(taskId);
	const load = session.load(`task:${taskId}`);
	const items = routeItems(session.route, session.timeline);
	const status = summary?.status ?? details?.status;
	const instruction = summary?.instruction ?? details?.instruction;

	const cancel = async () => {
		setCancelling(true);
		setError(undefined);
		try {
			await session.cancelTask(taskId);
		} catch (cause) {
			setError(describeError(cause));
		} finally {
			setCancelling(false);
		}
	};

	return (
		<section class="thread" aria-labelledby="thread-title" data-task-id={taskId}>
			<header class="thread-head task-head">
				<div class="task-title-row">
					<h2 id="thread-title" class="thread-title">
						Task <code class="task-id">{taskId}</code>
					</h2>
					{status && <StatusBadge status={status} />}
					{status && !isTerminal(status) && (
						<button type="button" class="small danger" onClick={cancel} disabled={cancelling}>
							{cancelling ? "Cancelling…" : "Cancel task"}
						</button>
					)}
				</div>
				{instruction && <p class="instruction">{instruction}</p>}
				{details && (
					<p class="task-meta muted">
						by {details.user_id} · created {formatTime(details.created_at)}
						{details.chat_id && <> · in a chat</>}
						{details.started_at && details.finished_at && (
							<> · took {formatDuration(details.finished_at - details.started_at)}</>
						)}
						{details.attempts > 1 && <> · {details.attempts} attempts</>}
					</p>
				)}
				{error && (
					<p class="error" role="alert">
						{error}
					</p>
				)}
			</header>
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
				onDecide={(approval, approved, reason) => session.decideApproval(approval, approved, reason)}
				me={session.me.user_id}
				empty={
					<p class="muted empty">
						{load.status === "loaded" ? "Nothing has happened yet: the task is waiting to run." : "Loading…"}
					</p>
				}
				after={summary || details ? <FinalStatus summary={summary} details={details} /> : null}
			/>
		</section>
	);
}
