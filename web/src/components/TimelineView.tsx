import type { ComponentChildren } from "preact";
import { useLayoutEffect, useRef } from "preact/hooks";
import type { TimelineItem } from "../../../src/client/index.ts";
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
}

/** How close to the bottom counts as "following along". */
const STICK_PX = 80;

/**
 * A thread's items in order. Follows the bottom while the reader is there; keeps the
 * reader's place when older items are loaded above.
 */
export function TimelineView({ items, pendingTurns, before, after, empty, onDecide, me }: Props) {
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

	const onScroll = () => {
		const el = scroller.current;
		if (el) stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < STICK_PX;
	};

	return (
		<div class="timeline-scroll" ref={scroller} onScroll={onScroll}>
			{before}
			{items.length === 0 && empty}
			<ol class="timeline" aria-label="Timeline">
				{items.map((item) => (
					<Item
						key={item.id}
						item={item}
						pending={!!item.turnId && !!pendingTurns?.has(item.turnId)}
						toolIds={toolIds}
						onDecide={onDecide}
						me={me}
					/>
				))}
			</ol>
			{after}
		</div>
	);
}

interface ItemProps {
	item: TimelineItem;
	pending: boolean;
	toolIds: ReadonlySet<string>;
	onDecide?: Decide;
	me?: string;
}

function Item({ item, pending, toolIds, onDecide, me }: ItemProps) {
	switch (item.kind) {
		case "message":
			return <MessageItem item={item} pending={pending && item.role === "user"} />;
		case "thought":
			return <ThoughtItem item={item} />;
		case "tool":
			return <ToolItem item={item} onDecide={onDecide} me={me} />;
		case "run":
			return <RunItem item={item} toolIds={toolIds} onDecide={onDecide} me={me} />;
	}
}
