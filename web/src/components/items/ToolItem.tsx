import type { TimelineItem } from "../../../../src/client/index.ts";
import { formatDuration, prettyJson } from "../../lib/format.ts";
import { StatusBadge } from "../StatusBadge.tsx";
import { CodeBlock } from "./CodeBlock.tsx";

type Tool = Extract<TimelineItem, { kind: "tool" }>;

/** A tool call: its name, state and time, then its arguments and result (JSON, pretty). */
export function ToolItem({ item }: { item: Tool }) {
	const took = item.endedTs !== undefined ? formatDuration(item.endedTs - item.ts) : "";
	return (
		<li class={`item tool tool-${item.state}`} data-item-id={item.id} data-kind="tool" data-state={item.state}>
			<details open>
				<summary>
					<span class="tool-label">Tool</span> <code class="tool-name">{item.name}</code>{" "}
					<StatusBadge status={item.state} />
					{took && <span class="muted"> {took}</span>}
				</summary>
				<div class="tool-body">
					<CodeBlock label="Arguments" text={prettyJson(item.args) || "(none)"} />
					{item.result !== undefined ? (
						<CodeBlock label={item.state === "error" ? "Error" : "Result"} text={prettyJson(item.result)} />
					) : (
						<p class="muted tool-waiting">Waiting for the result…</p>
					)}
				</div>
			</details>
		</li>
	);
}
