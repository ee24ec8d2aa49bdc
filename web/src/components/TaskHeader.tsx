import { useEffect, useRef, useState } from "preact/hooks";
import { formatUsd, type TaskSummary } from "../../../src/client/index.ts";
import { isTerminal, type Task } from "../../../src/protocol/index.ts";
import { describeError } from "../lib/api.ts";
import { attachmentIds } from "../lib/files.ts";
import { formatDuration, formatTime, formatTokens } from "../lib/format.ts";
import type { Route } from "../lib/route.ts";
import type { Session } from "../state/session.ts";
import { CopyButton } from "./CopyButton.tsx";
import { ErrorNote } from "./ErrorNote.tsx";
import { FileAttachments } from "./FileAttachments.tsx";
import { StatusBadge } from "./StatusBadge.tsx";

interface Props {
	session: Session;
	taskId: string;
	summary: TaskSummary | undefined;
	details: Task | undefined;
	navigate: (route: Route) => void;
}

/**
 * A task's head: its instruction as the title, its id (copyable), status, who and when,
 * time, tokens and cost, the files it was given, and what the viewer may do: Cancel (only someone
 * allowed to), Re-run.
 */
export function TaskHeader({ session, taskId, summary, details, navigate }: Props) {
	const [error, setError] = useState<string | undefined>();
	const [busy, setBusy] = useState<"cancel" | "rerun" | undefined>();
	const title = useRef<HTMLHeadingElement>(null);
	const status = summary?.status ?? details?.status;
	const instruction = summary?.instruction ?? details?.instruction;
	// The server says (GET /api/tasks/:id's can_cancel); until it has, its creator may.
	const canCancel = details?.can_cancel ?? details?.user_id === session.me.user_id;
	// A running task stops at its next step: until then it says so (the answer was 202).
	const stopping = !!details?.cancel_requested && !!status && !isTerminal(status);
	const canRerun = !!instruction && (details?.kind ?? summary?.kind) !== "chat";
	// What it has cost: live from its model calls while it runs, then the task's own figure
	// (`cost_usd`, absent from servers before #26: nothing is said about money then).
	const liveCost = session.timeline.taskCost(taskId);
	const cost =
		status && isTerminal(status) && details?.status === status && details.usage.cost_usd !== undefined
			? details.usage.cost_usd
			: (liveCost ?? details?.usage.cost_usd);

	// Arriving at a task puts the reader at its title (screen readers start reading there).
	useEffect(() => title.current?.focus({ preventScroll: true }), [taskId]);

	const act = async (what: "cancel" | "rerun") => {
		setBusy(what);
		setError(undefined);
		try {
			if (what === "cancel") await session.cancelTask(taskId);
			else if (instruction) {
				// Again with the same files (a file deleted since is refused, and said so)…
				const files = attachmentIds(details?.attachments ?? []);
				// …and the same budget.
				const budget = details?.max_cost_usd ? { max_cost_usd: details.max_cost_usd } : {};
				const task = await session.createTask(instruction, { allow_duplicates: true, ...files, ...budget });
				navigate({ kind: "task", id: task.id });
			}
		} catch (cause) {
			setError(describeError(cause));
		} finally {
			setBusy(undefined);
		}
	};

	return (
		<header class="thread-head task-head">
			<h2 id="thread-title" class="thread-title task-instruction" tabIndex={-1} ref={title}>
				{instruction ?? "Task"}
			</h2>
			<div class="task-title-row">
				{status && <StatusBadge status={status} />}
				<span class="task-id-row">
					<code class="task-id">{taskId}</code>
					<CopyButton text={taskId} label="Copy task id" />
				</span>
				<span class="task-actions">
					{status && !isTerminal(status) && canCancel && (
						<button type="button" class="small danger" onClick={() => void act("cancel")} disabled={!!busy || stopping}>
							{busy === "cancel" || stopping ? "Cancelling…" : "Cancel task"}
						</button>
					)}
					{canRerun && (
						<button type="button" class="small" onClick={() => void act("rerun")} disabled={!!busy}>
							{busy === "rerun" ? "Starting…" : "Re-run"}
						</button>
					)}
				</span>
			</div>
			{details && (
				<p class="task-meta muted">
					by {details.user_id} · created {formatTime(details.created_at)}
					{details.chat_id && <> · in a chat</>}
					{details.started_at && details.finished_at && (
						<> · took {formatDuration(details.finished_at - details.started_at)}</>
					)}
					{details.usage.total_tokens > 0 && (
						<>
							{" "}
							· {formatTokens({ inputTokens: details.usage.input_tokens, outputTokens: details.usage.output_tokens })}
						</>
					)}
					{cost !== undefined && (
						<>
							{" "}
							· <span class="task-cost">{formatUsd(cost)}</span>
						</>
					)}
					{details.max_cost_usd !== undefined && <> · budget {formatUsd(details.max_cost_usd)}</>}
					{details.attempts > 1 && <> · {details.attempts} attempts</>}
				</p>
			)}
			{details?.attachments && <FileAttachments files={details.attachments} bytes={session.files} />}
			<ErrorNote error={error} />
		</header>
	);
}
