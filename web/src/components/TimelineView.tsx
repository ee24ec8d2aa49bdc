import { type ComponentChildren, Fragment } from "preact";
import { useLayoutEffect, useRef } from "preact/hooks";
import { formatUsd, type SummaryView, type TimelineItem } from "../../../src/client/index.ts";
import type { SparkyFile } from "../../../src/protocol/index.ts";
import { type Block, type EarlierAttempt, foldAttempts as fold } from "../lib/attempts.ts";
import { formatDuration } from "../lib/format.ts";
import { summaryPlaces } from "../lib/summary-marks.ts";
import { type Ending, turnEndings } from "../lib/turn-ends.ts";
import type { FileBytes } from "./FileAttachments.tsx";
import type { Decide } from "./items/ApprovalCard.tsx";
import type { LoadMemory } from "./items/MemoriesUsed.tsx";
import { MessageItem } from "./items/MessageItem.tsx";
import { RunItem } from "./items/RunItem.tsx";
import { type LoadSummaries, SummaryMark } from "./items/SummaryMark.tsx";
import { ThoughtItem } from "./items/ThoughtItem.tsx";
import { ToolItem } from "./items/ToolItem.tsx";
import { UsageItem } from "./items/UsageItem.tsx";

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
	/**
	 * A task's view opens at the top of the run, or at an approval that waits for the reader;
	 * it follows the bottom once the reader is there. A chat opens at its latest message.
	 */
	openAtTop?: boolean;
	/** The message that is the task's answer, shown above the steps: here only a pointer to it. */
	answerId?: string;
	/** A chat's summaries of its older turns: a mark after the last turn each covers. */
	summaries?: readonly SummaryView[];
	/** Reads the summaries' text when a mark is opened before it is known. */
	loadSummaries?: LoadSummaries;
	/** Reads a memory a run used ("used N memories", opened). */
	loadMemory?: LoadMemory;
	/** The files each message carries, and their bytes. */
	files?: MessageFiles;
}

/** The files a chat's messages carry (`SessionFiles`). */
export interface MessageFiles extends FileBytes {
	ofMessage(messageId: string): readonly SparkyFile[] | undefined;
}

/** How close to the bottom counts as "following along". */
const STICK_PX = 80;

/**
 * A thread's items in order. Follows the bottom while the reader is there; keeps the
 * reader's place when older items are loaded above.
 */
export function TimelineView(props: Props) {
	const { items, pendingTurns, before, after, empty, onDecide, me, foldAttempts, openAtTop, answerId } = props;
	const { loadSummaries, loadMemory, files } = props;
	const scroller = useRef<HTMLDivElement>(null);
	const stick = useRef(!openAtTop);
	const last = useRef({ firstId: "", height: 0 });
	// Whether the view has been placed at an approval waiting for the reader (once).
	const placed = useRef(false);

	useLayoutEffect(() => {
		const el = scroller.current;
		if (!el) return;
		const firstId = items[0]?.id ?? "";
		const waiting = openAtTop && !placed.current && el.scrollTop === 0 && el.querySelector(".approval-actions");
		if (waiting) {
			placed.current = true;
			waiting.closest(".approval-card")?.scrollIntoView({ block: "center" });
		} else if (stick.current) el.scrollTop = el.scrollHeight;
		else if (last.current.firstId && firstId !== last.current.firstId) {
			el.scrollTop += el.scrollHeight - last.current.height; // older items were added above
		}
		last.current = { firstId, height: el.scrollHeight };
	});

	const toolIds = new Set(items.filter((i) => i.kind === "tool").map((i) => i.id));
	const blocks: Block[] = foldAttempts ? fold(items) : items.map((item) => ({ kind: "item", item }));
	const { endings, lastItem } = turnEndings(items);
	const marks = summaryPlaces(items, props.summaries ?? []);
	const mark = (summary: SummaryView) => <SummaryMark key={summary.id} summary={summary} load={loadSummaries} />;
	const render = (item: TimelineItem) => {
		const ending = item.turnId ? endings.get(item.turnId) : undefined;
		return (
			<Fragment key={item.id}>
				<Item
					item={item}
					answer={item.id === answerId}
					pending={!!item.turnId && !!pendingTurns?.has(item.turnId)}
					cut={item.kind === "tool" && item.result === undefined ? ending : undefined}
					toolIds={toolIds}
					onDecide={onDecide}
					me={me}
					loadMemory={loadMemory}
					files={files}
				/>
				{ending === "stopped" && item.turnId && lastItem.get(item.turnId) === item.id && (
					<li class="turn-end" data-ending="stopped">
						Stopped: the answer ends here.
					</li>
				)}
				{marks.after.get(item.id)?.map(mark)}
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
				{marks.top.map(mark)}
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
					{run.costUsd !== undefined && ` · ${formatUsd(run.costUsd)}`}
				</summary>
				<ol class="timeline attempt-items">{attempt.items.map(render)}</ol>
			</details>
		</li>
	);
}

interface ItemProps {
	item: TimelineItem;
	answer: boolean;
	pending: boolean;
	/** A tool call its run ended without (stopped, cancelled, …): it will get no result. */
	cut?: Ending;
	toolIds: ReadonlySet<string>;
	onDecide?: Decide;
	me?: string;
	loadMemory?: LoadMemory;
	files?: MessageFiles;
}

function Item({ item, answer, pending, cut, toolIds, onDecide, me, loadMemory, files }: ItemProps) {
	switch (item.kind) {
		case "message": {
			if (answer) return <AnswerPointer id={item.id} />;
			const carried = files?.ofMessage(item.id);
			return (
				<MessageItem
					item={item}
					pending={pending && item.role === "user"}
					files={carried && files ? { files: carried, bytes: files } : undefined}
				/>
			);
		}
		case "thought":
			return <ThoughtItem item={item} />;
		case "tool":
			return <ToolItem item={item} cut={cut} onDecide={onDecide} me={me} />;
		case "run":
			return <RunItem item={item} toolIds={toolIds} onDecide={onDecide} me={me} loadMemory={loadMemory} />;
		case "usage":
			return <UsageItem item={item} />;
	}
}

/** Where the run gave its answer: it is shown once, as the task's Result above the steps. */
function AnswerPointer({ id }: { id: string }) {
	const toAnswer = () => {
		const result = document.getElementById("task-result");
		result?.scrollIntoView({ block: "start" });
		result?.focus({ preventScroll: true });
	};
	return (
		<li class="item answer-pointer" data-item-id={id} data-kind="answer">
			Sparky answered: the Result above.{" "}
			<button type="button" class="link" onClick={toAnswer}>
				Back to the answer
			</button>
		</li>
	);
}
