import type { TimelineItem } from "../../../src/client/index.ts";

type Run = Extract<TimelineItem, { kind: "run" }>;

export interface EarlierAttempt {
	run: Run;
	/** The run's line first, then its steps. */
	items: TimelineItem[];
}

export type Block = { kind: "item"; item: TimelineItem } | { kind: "earlier"; attempt: EarlierAttempt };

/** Attempts that gave up (a retry follows): folded. A run paused for approval is continued by the next one: not. */
const FOLDED = new Set<Run["state"]>(["failed", "retrying", "interrupted"]);

/**
 * A task's items with its earlier attempts folded: each run line starts its attempt's steps;
 * an attempt that failed or was interrupted before the last one becomes one `earlier` block.
 * The last attempt, and attempts paused for an approval, stay as they are.
 */
export function foldAttempts(items: readonly TimelineItem[]): Block[] {
	const attempts: EarlierAttempt[] = [];
	const lead: TimelineItem[] = [];
	for (const item of items) {
		if (item.kind === "run") attempts.push({ run: item, items: [item] });
		else (attempts.at(-1)?.items ?? lead).push(item);
	}
	const blocks: Block[] = lead.map((item) => ({ kind: "item", item }));
	attempts.forEach((attempt, i) => {
		if (i < attempts.length - 1 && FOLDED.has(attempt.run.state)) blocks.push({ kind: "earlier", attempt });
		else for (const item of attempt.items) blocks.push({ kind: "item", item });
	});
	return blocks;
}
