import { formatUsd, type TimelineItem } from "../../../../src/client/index.ts";
import { formatDuration, formatTokens } from "../../lib/format.ts";
import { StatusBadge } from "../StatusBadge.tsx";
import { ApprovalCard, type Decide } from "./ApprovalCard.tsx";
import { type LoadMemory, MemoriesUsed } from "./MemoriesUsed.tsx";

type Run = Extract<TimelineItem, { kind: "run" }>;

interface Props {
	item: Run;
	/** Tool calls shown in the thread: their approvals show with them, the others here. */
	toolIds?: ReadonlySet<string>;
	onDecide?: Decide;
	me?: string;
	/** Reads a memory the run was given (its "used N memories", opened). */
	loadMemory?: LoadMemory;
}

/**
 * One attempt of a run: model, state, how long it took, the tokens it used and what they cost
 * (its model calls' `sparky.usage`; "price unknown" when a model has no price). A chat turn
 * someone stopped says "stopped" (and TurnEnd marks where its answer ended); a cancelled
 * task "cancelled"; neither as a failure.
 */
export function RunItem({ item, toolIds, onDecide, me, loadMemory }: Props) {
	const orphans = (item.approvals ?? []).filter((a) => !toolIds?.has(a.toolCallId));
	const attempt = item.id.split(":").at(-1);
	const took = item.endedTs !== undefined ? formatDuration(item.endedTs - item.ts) : "";
	const stopped = item.state === "cancelled" && item.id.startsWith("turn_");
	return (
		<li class={`item run run-${item.state}`} data-item-id={item.id} data-kind="run" data-state={item.state}>
			<span class="run-label">Run{attempt && /^\d+$/.test(attempt) ? ` · attempt ${attempt}` : ""}</span>
			{item.model && <code class="run-model">{item.model}</code>}
			<StatusBadge status={stopped ? "stopped" : item.state} />
			{took && <span class="run-took">{took}</span>}
			{item.usage && <span class="run-usage">{formatTokens(item.usage)}</span>}
			{item.costUsd !== undefined && (
				<span class={item.costUsd === null ? "run-cost unknown" : "run-cost"}>{formatUsd(item.costUsd)}</span>
			)}
			{item.memories && item.memories.ids.length > 0 && <MemoriesUsed recalled={item.memories} load={loadMemory} />}
			{item.error && (
				<span class={item.state === "interrupted" ? "run-note" : "run-error"}>
					{item.code && item.state !== "interrupted" ? `${item.code}: ` : ""}
					{item.error}
					{item.state === "interrupted" ? " The task goes on in its next attempt." : ""}
				</span>
			)}
			{orphans.map((a) => (
				<ApprovalCard key={a.id} approval={a} onDecide={onDecide} me={me} />
			))}
		</li>
	);
}
