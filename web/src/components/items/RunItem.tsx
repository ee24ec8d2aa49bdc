import type { TimelineItem } from "../../../../src/client/index.ts";
import { formatDuration, formatTokens } from "../../lib/format.ts";
import { StatusBadge } from "../StatusBadge.tsx";

type Run = Extract<TimelineItem, { kind: "run" }>;

/** One attempt of a run: model, state, how long it took and the tokens it used. */
export function RunItem({ item }: { item: Run }) {
	const attempt = item.id.split(":").at(-1);
	const took = item.endedTs !== undefined ? formatDuration(item.endedTs - item.ts) : "";
	return (
		<li class={`item run run-${item.state}`} data-item-id={item.id} data-kind="run" data-state={item.state}>
			<span class="run-label">Run{attempt && /^\d+$/.test(attempt) ? ` · attempt ${attempt}` : ""}</span>
			{item.model && <code class="run-model">{item.model}</code>}
			<StatusBadge status={item.state} />
			{took && <span class="run-took">{took}</span>}
			{item.usage && <span class="run-usage">{formatTokens(item.usage)}</span>}
			{item.error && (
				<span class="run-error">
					{item.code ? `${item.code}: ` : ""}
					{item.error}
				</span>
			)}
		</li>
	);
}
