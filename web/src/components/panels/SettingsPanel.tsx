import type { Session } from "../../state/session.ts";
import { McpServers } from "./McpServers.tsx";

/** A user's own settings: for now, the MCP servers whose tools the agent uses in their runs. */
export function SettingsPanel({ session }: { session: Session }) {
	return (
		<section class="panel" aria-labelledby="panel-heading">
			<h2 id="panel-heading">Settings</h2>
			<McpServers session={session} />
		</section>
	);
}
