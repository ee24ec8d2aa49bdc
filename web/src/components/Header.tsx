import type { Route } from "../lib/route.ts";
import type { Session } from "../state/session.ts";
import { ConnectionBadge } from "./ConnectionBadge.tsx";
import { NewChatButton } from "./NewChatButton.tsx";

interface Props {
	session: Session;
	drawerOpen: boolean;
	onToggleDrawer: () => void;
	onSignOut: () => void;
	navigate: (route: Route) => void;
}

export function Header({ session, drawerOpen, onToggleDrawer, onSignOut, navigate }: Props) {
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
			{/* On a phone the sidebar is a drawer: starting something stays one tap away. */}
			<span class="narrow-only top-actions">
				<NewChatButton session={session} navigate={navigate} />
				<button
					type="button"
					class="small quiet"
					onClick={() => {
						session.homeFocus = true;
						navigate({ kind: "home" });
						session.changed();
					}}
				>
					New task
				</button>
			</span>
			<span class="who" title={`signed in as ${session.me.user_id} (${session.me.role})`}>
				<span class="visually-hidden">Signed in as </span>
				{session.me.user_id}
			</span>
			<button type="button" class="quiet wide-only" onClick={onSignOut}>
				Sign out
			</button>
		</header>
	);
}
