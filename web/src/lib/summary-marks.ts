import type { SummaryView, TimelineItem } from "../../../src/client/index.ts";

/**
 * Where each "earlier conversation summarised" mark goes: after the last item of the last
 * turn it covers; at the top when that turn isn't among the items (not loaded: older).
 */
export function summaryPlaces(
	items: readonly TimelineItem[],
	summaries: readonly SummaryView[],
): { top: SummaryView[]; after: Map<string, SummaryView[]> } {
	const lastOfTurn = new Map<string, string>();
	for (const item of items) if (item.turnId) lastOfTurn.set(item.turnId, item.id);
	const top: SummaryView[] = [];
	const after = new Map<string, SummaryView[]>();
	for (const summary of summaries) {
		const last = lastOfTurn.get(summary.throughTurnId);
		if (!last) {
			top.push(summary);
			continue;
		}
		const here = after.get(last) ?? [];
		here.push(summary);
		after.set(last, here);
	}
	return { top, after };
}
