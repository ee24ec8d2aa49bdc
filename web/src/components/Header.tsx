import type { Session } from "../state/session.ts";
import { ConnectionBadge } from "./ConnectionBadge.tsx";

interface Props {
	session: Session;
	drawerOpen: boolean;
	onToggleDrawer: () => void;
	onSignOut: () => void;
}

export function Header({ session, drawerOpen, onToggleDrawer, onSignOut }: Props) {
	return (
		<header class="topbar">
			<button
				type="button"
				class="menu-button"
				aria-expanded={drawerOpen}
				aria-controls="sidebar"
				onClick={onToggleDrawer}
			>
				Menu
			</button>
			<h1 class="brand">Sparky</h1>
			<ConnectionBadge state={session.connection} />
			<span class="who" title={`signed in as ${session.me.user_id} (${session.me.role})`}>
				<span class="visually-hidden">Signed in as </span>
				{session.me.user_id}
			</span>
			<button type="button" class="quiet" onClick={onSignOut}>
				Sign out
			</button>
		</header>
	);
}
