import { useEffect, useLayoutEffect, useState } from "preact/hooks";
import { parseRoute, type Route, routePath, sameRoute } from "../lib/route.ts";
import type { Session } from "../state/session.ts";
import { useSessionUpdates } from "../state/use-session.ts";
import { AgentBoard } from "./AgentBoard.tsx";
import { ChatView } from "./ChatView.tsx";
import { Header } from "./Header.tsx";
import { Home } from "./Home.tsx";
import { LazyPanel } from "./LazyPanel.tsx";
import { LiveRegion } from "./LiveRegion.tsx";
import { Sidebar } from "./Sidebar.tsx";
import { TaskView } from "./TaskView.tsx";

interface Props {
	session: Session;
	onSignOut: () => void;
}

/** The drawer closed without a choice (Escape, Menu again): focus goes back to what opened it. */
function closedDrawer(): void {
	document.querySelector<HTMLElement>(".menu-button")?.focus();
}

/** Header, sidebar (a drawer on narrow screens) and the open chat or task; the URL says which. */
export function Workspace({ session, onSignOut }: Props) {
	useSessionUpdates(session);
	const [drawer, setDrawer] = useState(false);

	const navigate = (route: Route) => {
		// The drawer covers the page on narrow screens: after choosing in it, focus goes to the
		// main pane (the chat or task then moves it to its title).
		if (drawer) document.getElementById("main")?.focus({ preventScroll: true });
		setDrawer(false);
		if (sameRoute(route, session.route)) return;
		history.pushState(null, "", routePath(route));
		session.open(route);
	};

	useEffect(() => {
		session.open(parseRoute(location.pathname));
		const onPop = () => session.open(parseRoute(location.pathname));
		window.addEventListener("popstate", onPop);
		session.onChatDeleted = () => navigate({ kind: "home" });
		return () => window.removeEventListener("popstate", onPop);
	}, [session]);

	// Listening from the moment the drawer is drawn (an effect runs a frame later: an Escape
	// pressed at once was lost).
	useLayoutEffect(() => {
		if (!drawer) return;
		const onKey = (e: KeyboardEvent) => {
			if (e.key !== "Escape") return;
			setDrawer(false);
			closedDrawer();
		};
		window.addEventListener("keydown", onKey);
		return () => window.removeEventListener("keydown", onKey);
	}, [drawer]);

	const route = session.route;
	const toggleDrawer = () => {
		if (drawer) closedDrawer();
		setDrawer(!drawer);
	};
	return (
		<div class="app" data-drawer={drawer ? "open" : "closed"}>
			<a class="skip-link" href="#main">
				Skip to content
			</a>
			<Header
				session={session}
				drawerOpen={drawer}
				onToggleDrawer={toggleDrawer}
				onSignOut={onSignOut}
				navigate={navigate}
			/>
			<Sidebar session={session} navigate={navigate} onSignOut={onSignOut} />
			<LiveRegion text={session.announcement.text} count={session.announcement.count} />
			<main id="main" class="main" tabIndex={-1}>
				{route.kind === "chat" && <ChatView key={route.id} session={session} chatId={route.id} />}
				{route.kind === "task" && <TaskView key={route.id} session={session} taskId={route.id} navigate={navigate} />}
				{route.kind === "home" &&
					(session.board.mode === "off" ? (
						<Home session={session} navigate={navigate} />
					) : (
						<AgentBoard session={session} navigate={navigate} />
					))}
				{(route.kind === "settings" ||
					route.kind === "memory" ||
					route.kind === "files" ||
					route.kind === "usage" ||
					route.kind === "admin") && (
					<LazyPanel key={route.kind} session={session} which={route.kind} navigate={navigate} />
				)}
			</main>
		</div>
	);
}
