import type { TimelineItem } from "../../../../src/client/index.ts";
import { formatDuration, prettyJson } from "../../lib/format.ts";
import { keyArgument, resultView } from "../../lib/steps.ts";
import type { Ending } from "../../lib/turn-ends.ts";
import { StatusBadge } from "../StatusBadge.tsx";
import { ApprovalCard, type Decide } from "./ApprovalCard.tsx";
import { CodeBlock } from "./CodeBlock.tsx";
import { ToolResult } from "./ToolResult.tsx";

type Tool = Extract<TimelineItem, { kind: "tool" }>;

/** The line's glance mark (the badge beside it says the same in words). */
// Characters every common system font has (⏸ shows as an empty box in Debian's Chromium).
const MARK = { done: "✓", error: "✗", awaiting: "‖", running: "…", cut: "–" } as const;

const CUT_BADGE = { stopped: "stopped", cancelled: "cancelled", failed: "error", interrupted: "interrupted" } as const;

interface Props {
	item: Tool;
	/** Its run ended before it had a result: it never will. */
	cut?: Ending;
	onDecide?: Decide;
	me?: string;
}

/**
 * A tool call as one line (✓/✗, tool, key argument, time, what went wrong), folded: opened,
 * its arguments and its result, readable.
 */
export function ToolItem({ item, cut, onDecide, me }: Props) {
	const waiting = !cut && item.approval?.status === "pending" && item.result === undefined;
	const took = item.endedTs !== undefined ? formatDuration(item.endedTs - item.ts) : "";
	const view = resultView(item.result);
	const key = keyArgument(item.args);
	const shape = cut
		? "cut"
		: waiting
			? "awaiting"
			: item.state === "done" || item.state === "error"
				? item.state
				: "running";
	const mark = MARK[shape];
	return (
		<li
			class={`item tool tool-${cut ? "cut" : waiting ? "awaiting" : item.state}`}
			data-item-id={item.id}
			data-kind="tool"
			data-state={item.state}
			data-ending={cut}
		>
			<details class="step">
				<summary class="step-line">
					<span class="step-mark" aria-hidden="true">
						{mark}
					</span>
					<code class="tool-name">{item.name}</code>
					{key && (
						<span class="step-key" title={key}>
							{key}
						</span>
					)}
					{took && <span class="step-took muted">{took}</span>}
					<StatusBadge status={cut ? CUT_BADGE[cut] : waiting ? "awaiting_approval" : item.state} />
					{view.note && <span class={view.error ? "step-note step-error" : "step-note"}>{view.note}</span>}
				</summary>
				<div class="tool-body">
					{/* While it waits, the approval card below shows the input. */}
					{!waiting && <CodeBlock label="Arguments" text={prettyJson(item.args) || "(none)"} lang="json" />}
					{item.result !== undefined ? (
						<ToolResult view={view} />
					) : cut ? (
						<p class="muted tool-waiting">No result: the run ended ({cut}) before this call finished.</p>
					) : (
						!waiting && <p class="muted tool-waiting">Waiting for the result…</p>
					)}
				</div>
			</details>
			{item.approval && <ApprovalCard approval={item.approval} onDecide={onDecide} me={me} decidedInput={false} />}
		</li>
	);
}
