import { useState } from "preact/hooks";
import type { SummaryView } from "../../../../src/client/index.ts";
import { describeError } from "../../lib/api.ts";

/** Reads a chat's summaries again (their text comes with them). */
export type LoadSummaries = () => Promise<void>;

interface Props {
	summary: SummaryView;
	load?: LoadSummaries;
}

/**
 * Where a chat's older turns were summarised to fit the model: one line after the last turn
 * the summary covers; opened, the summary the model now reads instead of those turns.
 */
export function SummaryMark({ summary, load }: Props) {
	const [state, setState] = useState<{ loading?: boolean; error?: string }>({});
	const onToggle = (e: Event) => {
		if (!(e.currentTarget as HTMLDetailsElement).open || summary.content !== undefined || !load || state.loading)
			return;
		setState({ loading: true });
		load().then(
			() => setState({}),
			(error: unknown) => setState({ error: describeError(error) }),
		);
	};
	return (
		<li class="summary-mark" data-summary-id={summary.id} data-kind="summary">
			<details onToggle={onToggle}>
				<summary>
					Earlier conversation summarised ({summary.turns} {summary.turns === 1 ? "turn" : "turns"})
				</summary>
				{summary.content !== undefined ? (
					<p class="summary-content">{summary.content}</p>
				) : state.error ? (
					<p class="error" role="alert">
						Could not read the summary: {state.error}
					</p>
				) : (
					<p class="muted" role="status">
						{load ? "Loading…" : "The summary is not available here."}
					</p>
				)}
			</details>
		</li>
	);
}
