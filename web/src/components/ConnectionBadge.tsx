import { CONNECTION_LABEL, type ConnectionState } from "../lib/connection.ts";

/** Connected / reconnecting / offline, announced politely when it changes. */
export function ConnectionBadge({ state }: { state: ConnectionState }) {
	return (
		<span class={`conn conn-${state}`} role="status" data-state={state} title={CONNECTION_LABEL[state]}>
			<span class="conn-dot" aria-hidden="true" />
			<span class="conn-label">{CONNECTION_LABEL[state]}</span>
		</span>
	);
}
