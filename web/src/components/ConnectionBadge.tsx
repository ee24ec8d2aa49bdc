import { CONNECTION_LABEL, type ConnectionState } from "../lib/connection.ts";

/** Connected / reconnecting / offline, announced politely when it changes. */
export function ConnectionBadge({ state }: { state: ConnectionState }) {
	return (
		<span class={`conn conn-${state}`} role="status" data-state={state}>
			<span class="conn-dot" aria-hidden="true" />
			{CONNECTION_LABEL[state]}
		</span>
	);
}
