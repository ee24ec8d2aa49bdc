import type { TimelineItem } from "../../../src/client/index.ts";

type RunState = Extract<TimelineItem, { kind: "run" }>["state"];

/** How a turn (or task) ended, when its last run did: tool calls left without a result were cut off. */
export type Ending = "stopped" | "cancelled" | "failed" | "interrupted";

const ENDINGS: Partial<Record<RunState, Ending>> = {
	cancelled: "cancelled",
	failed: "failed",
	interrupted: "interrupted",
};

/**
 * Per turn (`turnId`), how its latest run ended, if it ended without finishing its work; and
 * the id of the turn's last item (where a "Stopped" mark goes). A chat turn's cancel is a
 * "stop" (someone pressed Stop).
 */
export function turnEndings(items: readonly TimelineItem[]): {
	endings: Map<string, Ending>;
	lastItem: Map<string, string>;
} {
	const endings = new Map<string, Ending>();
	const lastItem = new Map<string, string>();
	for (const item of items) {
		if (!item.turnId) continue;
		lastItem.set(item.turnId, item.id);
		if (item.kind !== "run") continue;
		const ending = ENDINGS[item.state];
		if (!ending) endings.delete(item.turnId);
		else endings.set(item.turnId, ending === "cancelled" && item.turnId.startsWith("turn_") ? "stopped" : ending);
	}
	return { endings, lastItem };
}
