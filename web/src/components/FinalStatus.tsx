import { formatUsd, type TaskSummary } from "../../../src/client/index.ts";
import type { Task } from "../../../src/protocol/index.ts";
import { formatDuration, formatTokens } from "../lib/format.ts";
import { StatusBadge } from "./StatusBadge.tsx";

interface Props {
	summary: TaskSummary | undefined;
	details: Task | undefined;
	/** What it has cost so far, as its latest model call said (`Timeline.taskCost`); the task's own figure wins once it ended. */
	liveCost?: number | null;
	/** It waits for a decision on its budget, not on a tool call. */
	budgetWait?: boolean;
}

/** Where the task stands: still going, or how it ended (with its total time, tokens and cost). */
export function FinalStatus({ summary, details, liveCost, budgetWait }: Props) {
	const status = summary?.status ?? details?.status;
	if (!status) return null;
	const sameStatus = details?.status === status;
	const error = summary?.error ?? (sameStatus ? details?.error : undefined);
	const took =
		sameStatus && details?.started_at && details.finished_at
			? formatDuration(details.finished_at - details.started_at)
			: "";
	const usage =
		sameStatus && details && details.usage.total_tokens > 0
			? formatTokens({ inputTokens: details.usage.input_tokens, outputTokens: details.usage.output_tokens })
			: "";
	// `cost_usd` is absent from servers before #26: then nothing is said about money.
	const cost = sameStatus && details?.usage.cost_usd !== undefined ? details.usage.cost_usd : liveCost;
	const text: Record<typeof status, string> = {
		waiting: "Waiting for the tasks it depends on.",
		queued: summary?.attempt ? "Queued to retry." : "Queued: it starts as soon as the runner is free.",
		running: "Running…",
		awaiting_approval: budgetWait
			? "It has spent its budget: it waits for a decision to spend more."
			: "A tool call waits for approval.",
		succeeded: "Finished.",
		failed: "Failed.",
		cancelled: "Cancelled.",
	};
	return (
		<div class={`final-status final-${status}`} role="status" data-status={status}>
			<StatusBadge status={status} />
			<span>{text[status]}</span>
			{took && <span class="muted">Took {took}.</span>}
			{usage && (
				<span class="muted">
					Used {usage}
					{cost !== undefined && (
						<>
							, <span class="final-cost">{formatUsd(cost)}</span>
						</>
					)}
					.
				</span>
			)}
			{/* A cancellation someone asked for is news, not a failure: said in neutral words. */}
			{error && status !== "succeeded" && <p class={status === "cancelled" ? "run-note" : "run-error"}>{error}</p>}
		</div>
	);
}
