import type { HubClientStatus } from "../../../src/client/index.ts";

/** What the connection indicator says. */
export type ConnectionState = "connecting" | "connected" | "reconnecting" | "offline";

/** The browser's own online flag wins: no network means offline, whatever the socket thinks. */
export function connectionState(hub: HubClientStatus, online: boolean): ConnectionState {
	if (!online) return "offline";
	switch (hub) {
		case "open":
			return "connected";
		case "connecting":
			return "connecting";
		case "reconnecting":
			return "reconnecting";
		case "closed":
			return "offline";
	}
}

export const CONNECTION_LABEL: Record<ConnectionState, string> = {
	connecting: "Connecting…",
	connected: "Connected",
	reconnecting: "Reconnecting…",
	offline: "Offline",
};
