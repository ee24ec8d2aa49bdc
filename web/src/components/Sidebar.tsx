import { onNavClick } from "../lib/nav-click.ts";
import type { Route } from "../lib/route.ts";
import type { Session } from "../state/session.ts";
import { ChatList } from "./ChatList.tsx";
import { TaskList } from "./TaskList.tsx";

interface Props {
	session: Session;
	navigate: (route: Route) => void;
	onSignOut: () => void;
}

/**
 * Memory, Files, Usage, Settings (and Admin) on top, then chats, then the agent's activity: reachable without
 * scrolling past every task. A column on wide screens, a drawer on narrow ones.
 */
export function Sidebar({ session, navigate, onSignOut }: Props) {
	const route = session.route;
	const link = (to: "memory" | "files" | "usage" | "settings" | "admin", label: string) => (
		<a
			href={`/${to}`}
			class="side-link"
			aria-current={route.kind === to ? "page" : undefined}
			onClick={(e) => onNavClick(e, () => navigate({ kind: to }))}
		>
			{label}
		</a>
	);
	return (
		<nav id="sidebar" class="sidebar" aria-label="Chats and agent activity">
			{session.listsError && (
				<p class="error" role="alert">
					{session.listsError}{" "}
					<button type="button" class="link" onClick={() => void session.reload()}>
						Retry
					</button>
				</p>
			)}
			<ul class="side-list side-top">
				<li>{link("memory", "Memory")}</li>
				<li>{link("files", "Files")}</li>
				<li>{link("usage", "Usage")}</li>
				<li>{link("settings", "Settings")}</li>
				{session.me.role === "admin" && <li>{link("admin", "Admin")}</li>}
				<li class="narrow-only">
					<span class="muted">Signed in as {session.me.user_id}</span>{" "}
					<button type="button" class="quiet small" onClick={onSignOut}>
						Sign out
					</button>
				</li>
			</ul>
			<ChatList session={session} navigate={navigate} />
			<TaskList session={session} navigate={navigate} />
		</nav>
	);
}
