import type { Session } from "../../state/session.ts";
import { ConnectedApps } from "./ConnectedApps.tsx";
import { McpServers } from "./McpServers.tsx";

/** A user's own settings: the MCP servers whose tools the agent uses, and the apps connected to Sparky's `/mcp`. */
export function SettingsPanel({ session }: { session: Session }) {
	return (
		<section class="panel" aria-labelledby="panel-heading">
			<h2 id="panel-heading">Settings</h2>
			<McpServers session={session} />
			<ConnectedApps session={session} />
		</section>
	);
}
