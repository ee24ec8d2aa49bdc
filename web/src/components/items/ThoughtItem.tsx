import type { TimelineItem } from "../../../../src/client/index.ts";
import { firstLine } from "../../lib/format.ts";

type Thought = Extract<TimelineItem, { kind: "thought" }>;

const PREVIEW = 90;

/**
 * The agent's reasoning, one line until opened; opened, the full text replaces the line's
 * preview (never both). A thought that fits the line has nothing to open.
 */
export function ThoughtItem({ item }: { item: Thought }) {
	const label = <span class="thought-label">{item.streaming ? "Thinking…" : "Thought"}</span>;
	const preview = firstLine(item.text, PREVIEW);
	const whole = preview === item.text.trim();
	return (
		<li class="item thought" data-item-id={item.id} data-kind="thought">
			{whole ? (
				<p class="thought-line">
					{label} <span class="thought-text">{preview}</span>
				</p>
			) : (
				<details>
					<summary>
						{label} <span class="thought-preview">{preview}</span>
					</summary>
					<p class="thought-text">{item.text}</p>
				</details>
			)}
		</li>
	);
}
