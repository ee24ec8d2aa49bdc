import type { TimelineItem } from "../../../../src/client/index.ts";
import { firstLine } from "../../lib/format.ts";

type Thought = Extract<TimelineItem, { kind: "thought" }>;

/** The agent's reasoning, collapsed to one line until opened. */
export function ThoughtItem({ item }: { item: Thought }) {
	return (
		<li class="item thought" data-item-id={item.id} data-kind="thought">
			<details>
				<summary>
					<span class="thought-label">{item.streaming ? "Thinking…" : "Thought"}</span>{" "}
					<span class="thought-preview">{firstLine(item.text, 90)}</span>
				</summary>
				<p class="thought-text">{item.text}</p>
			</details>
		</li>
	);
}
