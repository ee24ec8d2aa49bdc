import type { ComponentType } from "preact";
import { useEffect, useState } from "preact/hooks";
import { describeError } from "../lib/api.ts";
import type { Route } from "../lib/route.ts";
import type { Session } from "../state/session.ts";

interface PanelProps {
	session: Session;
	/** For links out of a panel (a memory's chat or task). */
	navigate: (route: Route) => void;
}
type Panel = ComponentType<PanelProps>;
export type PanelName = "settings" | "memory" | "files" | "usage" | "admin";

/** Settings, memory, files, usage and admin load on first use (the first load stays small); the rest of the page never waits for them. */
const LOADERS: Record<PanelName, () => Promise<Panel>> = {
	settings: () => import("./panels/SettingsPanel.tsx").then((m) => m.SettingsPanel),
	memory: () => import("./panels/MemoryPanel.tsx").then((m) => m.MemoryPanel),
	files: () => import("./panels/FilesPanel.tsx").then((m) => m.FilesPanel),
	usage: () => import("./panels/UsagePanel.tsx").then((m) => m.UsagePanel),
	admin: () => import("./panels/AdminPanel.tsx").then((m) => m.AdminPanel),
};

export function LazyPanel({ session, which, navigate }: PanelProps & { which: PanelName }) {
	// The API refuses non-admins anyway; the page doesn't even load the panel for them.
	if (which === "admin" && session.me.role !== "admin") {
		return (
			<section class="panel" aria-labelledby="panel-heading">
				<h2 id="panel-heading">Admin</h2>
				<p>Only admins can manage users, tokens and schedules here.</p>
			</section>
		);
	}
	return <Loaded session={session} which={which} navigate={navigate} />;
}

function Loaded({ session, which, navigate }: PanelProps & { which: PanelName }) {
	const [panel, setPanel] = useState<{ Component: Panel } | { error: string } | undefined>();
	useEffect(() => {
		let live = true;
		LOADERS[which]().then(
			(Component) => live && setPanel({ Component }),
			(error) => live && setPanel({ error: describeError(error) }),
		);
		return () => {
			live = false;
		};
	}, [which]);
	if (!panel) {
		return (
			<p class="panel-loading" role="status">
				Loading…
			</p>
		);
	}
	if ("error" in panel) {
		return (
			<p class="error banner" role="alert">
				Could not load this page: {panel.error}
			</p>
		);
	}
	return <panel.Component session={session} navigate={navigate} />;
}
