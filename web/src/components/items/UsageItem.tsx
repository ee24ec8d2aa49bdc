import { formatTokenUsage, formatUsd, type TimelineItem } from "../../../../src/client/index.ts";
import { formatDuration } from "../../lib/format.ts";

type Usage = Extract<TimelineItem, { kind: "usage" }>;

/**
 * One model call of a run, where it ended (`sparky.usage`): its number (or, step 0, a call
 * that summarised the chat's older turns), tokens (in, cached, out, reasoning), what it cost
 * ("price unknown" for a model without a price, never $0) and how long it took. The model and
 * the task's total so far are in its title.
 */
export function UsageItem({ item }: { item: Usage }) {
	const total = item.taskCostUsd === null ? "price unknown" : formatUsd(item.taskCostUsd);
	return (
		<li
			class="item call-usage"
			data-item-id={item.id}
			data-kind="usage"
			data-step={item.step}
			title={`${item.model}; the task so far: ${total}`}
		>
			<span class="call-label">{item.step > 0 ? `Model call ${item.step}` : "Summarising the chat"}</span>
			<span class="call-tokens">{formatTokenUsage(item)}</span>
			<span class={item.costUsd === null ? "call-cost unknown" : "call-cost"}>{formatUsd(item.costUsd)}</span>
			{item.ms > 0 && <span class="call-took">{formatDuration(item.ms)}</span>}
		</li>
	);
}
