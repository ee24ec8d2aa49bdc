import type { TimelineItem } from "../../../../src/client/index.ts";
import { formatDuration, prettyJson } from "../../lib/format.ts";
import { StatusBadge } from "../StatusBadge.tsx";
import { ApprovalCard, type Decide } from "./ApprovalCard.tsx";
import { CodeBlock } from "./CodeBlock.tsx";

type Tool = Extract<TimelineItem, { kind: "tool" }>;

/** A tool call: its name, state and time, then its arguments and result (JSON, pretty). */
export function ToolItem({ item, onDecide, me }: { item: Tool; onDecide?: Decide; me?: string }) {
	const waiting = item.approval?.status === "pending" && item.result === undefined;
	const took = item.endedTs !== undefined ? formatDuration(item.endedTs - item.ts) : "";
	return (
		<li
			class={`item tool tool-${waiting ? "awaiting" : item.state}`}
			data-item-id={item.id}
			data-kind="tool"
			data-state={item.state}
		>
			<details open>
				<summary>
					<span class="tool-label">Tool</span> <code class="tool-name">{item.name}</code>{" "}
					<StatusBadge status={waiting ? "awaiting_approval" : item.state} />
					{took && <span class="muted"> {took}</span>}
				</summary>
				<div class="tool-body">
					{/* While it waits, the approval card below shows the input. */}
					{!waiting && <CodeBlock label="Arguments" text={prettyJson(item.args) || "(none)"} />}
					{item.result !== undefined ? (
						<CodeBlock label={item.state === "error" ? "Error" : "Result"} text={prettyJson(item.result)} />
					) : (
						!waiting && <p class="muted tool-waiting">Waiting for the result…</p>
					)}
				</div>
			</details>
			{item.approval && <ApprovalCard approval={item.approval} onDecide={onDecide} me={me} decidedInput={false} />}
		</li>
	);
}
