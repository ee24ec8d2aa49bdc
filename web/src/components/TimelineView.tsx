import { type ComponentChildren, Fragment } from "preact";
import { useLayoutEffect, useRef } from "preact/hooks";
import type { TimelineItem } from "../../../src/client/index.ts";
import { type Block, type EarlierAttempt, foldAttempts as fold } from "../lib/attempts.ts";
import { formatDuration } from "../lib/format.ts";
import { type Ending, turnEndings } from "../lib/turn-ends.ts";
import type { Decide } from "./items/ApprovalCard.tsx";
import { MessageItem } from "./items/MessageItem.tsx";
import { RunItem } from "./items/RunItem.tsx";
import { ThoughtItem } from "./items/ThoughtItem.tsx";
import { ToolItem } from "./items/ToolItem.tsx";

interface Props {
	items: TimelineItem[];
	/** Turns whose user message waits for an earlier turn to finish. */
	pendingTurns?: ReadonlySet<string>;
	/** Above the items (e.g. "Load earlier"). */
	before?: ComponentChildren;
	/** Below the items (e.g. the task's final status). */
	after?: ComponentChildren;
	empty?: ComponentChildren;
	/** Approve or deny a tool call a run waits for. */
	onDecide?: Decide;
	/** The signed-in user's id. */
	me?: string;
	/** A task's view: attempts before the last one are folded. */
	foldAttempts?: boolean;
}

/** How close to the bottom counts as "following along". */
const STICK_PX = 80;

/**
 * A thread's items in order. Follows the bottom while the reader is there; keeps the
 * reader's place when older items are loaded above.
 */
export function TimelineView({ items, pendingTurns, before, after, empty, onDecide, me, foldAttempts }: Props) {
	const scroller = useRef<HTMLDivElement>(null);
	const stick = useRef(true);
	const last = useRef({ firstId: "", height: 0 });

	useLayoutEffect(() => {
		const el = scroller.current;
		if (!el) return;
		const firstId = items[0]?.id ?? "";
		if (stick.current) el.scrollTop = el.scrollHeight;
		else if (last.current.firstId && firstId !== last.current.firstId) {
			el.scrollTop += el.scrollHeight - last.current.height; // older items were added above
		}
		last.current = { firstId, height: el.scrollHeight };
	});

	const toolIds = new Set(items.filter((i) => i.kind === "tool").map((i) => i.id));
	const blocks: Block[] = foldAttempts ? fold(items) : items.map((item) => ({ kind: "item", item }));
	const { endings, lastItem } = turnEndings(items);
	const render = (item: TimelineItem) => {
		const ending = item.turnId ? endings.get(item.turnId) : undefined;
		return (
			<Fragment key={item.id}>
				<Item
					item={item}
					pending={!!item.turnId && !!pendingTurns?.has(item.turnId)}
					cut={item.kind === "tool" && item.result === undefined ? ending : undefined}
					toolIds={toolIds}
					onDecide={onDecide}
					me={me}
				/>
				{ending === "stopped" && item.turnId && lastItem.get(item.turnId) === item.id && (
					<li class="turn-end" data-ending="stopped">
						Stopped: the answer ends here.
					</li>
				)}
			</Fragment>
		);
	};

	const onScroll = () => {
		const el = scroller.current;
		if (el) stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < STICK_PX;
	};

	return (
		<div class="timeline-scroll" ref={scroller} onScroll={onScroll}>
			{before}
			{items.length === 0 && empty}
			<ol class="timeline" aria-label="Timeline">
				{blocks.map((block) =>
					block.kind === "item" ? (
						render(block.item)
					) : (
						<Earlier key={block.attempt.run.id} attempt={block.attempt} render={render} />
					),
				)}
			</ol>
			{after}
		</div>
	);
}

/** An attempt that didn't finish the task: one line (how it ended, steps, time), opened on demand. */
function Earlier({ attempt, render }: { attempt: EarlierAttempt; render: (item: TimelineItem) => ComponentChildren }) {
	const { run } = attempt;
	const number = run.id.split(":").at(-1);
	const steps = attempt.items.filter((i) => i.kind === "tool").length;
	const took = run.endedTs !== undefined ? formatDuration(run.endedTs - run.ts) : "";
	return (
		<li class="attempt-earlier" data-attempt={number} data-state={run.state}>
			<details>
				<summary>
					Earlier attempt {number}: {run.state}
					{` · ${steps} ${steps === 1 ? "step" : "steps"}`}
					{took && ` · ${took}`}
				</summary>
				<ol class="timeline attempt-items">{attempt.items.map(render)}</ol>
			</details>
		</li>
	);
}

interface ItemProps {
	item: TimelineItem;
	pending: boolean;
	/** A tool call its run ended without (stopped, cancelled, …): it will get no result. */
	cut?: Ending;
	toolIds: ReadonlySet<string>;
	onDecide?: Decide;
	me?: string;
}

function Item({ item, pending, cut, toolIds, onDecide, me }: ItemProps) {
	switch (item.kind) {
		case "message":
			return <MessageItem item={item} pending={pending && item.role === "user"} />;
		case "thought":
			return <ThoughtItem item={item} />;
		case "tool":
			return <ToolItem item={item} cut={cut} onDecide={onDecide} me={me} />;
		case "run":
			return <RunItem item={item} toolIds={toolIds} onDecide={onDecide} me={me} />;
	}
}
