import type { Route } from "../lib/route.ts";
import type { Session } from "../state/session.ts";
import { ChatList } from "./ChatList.tsx";
import { TaskList } from "./TaskList.tsx";

interface Props {
	session: Session;
	navigate: (route: Route) => void;
}

/** Chats, then the agent's activity. A column on wide screens, a drawer on narrow ones. */
export function Sidebar({ session, navigate }: Props) {
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
			<ChatList session={session} navigate={navigate} />
			<TaskList session={session} navigate={navigate} />
		</nav>
	);
}
