import { chatNames } from "../lib/chat-names.ts";
import { formatTime } from "../lib/format.ts";
import { onNavClick } from "../lib/nav-click.ts";
import type { Route } from "../lib/route.ts";
import type { Session } from "../state/session.ts";
import { NewChatButton } from "./NewChatButton.tsx";
import { StatusBadge, UnreadBadge } from "./StatusBadge.tsx";

interface Props {
	session: Session;
	navigate: (route: Route) => void;
}

export function ChatList({ session, navigate }: Props) {
	const chats = session.timeline.chats();
	const names = chatNames(chats, (ms) => formatTime(ms));
	const route = session.route;

	return (
		<section class="side-section" aria-labelledby="chats-heading">
			<div class="side-head">
				<h2 id="chats-heading">Chats</h2>
				<NewChatButton session={session} navigate={navigate} />
			</div>
			{chats.length === 0 ? (
				<p class="muted">No chats yet.</p>
			) : (
				<ul class="side-list">
					{chats.map((chat) => {
						const current = route.kind === "chat" && route.id === chat.id;
						const running = session.timeline.openTurns(chat.id).some((t) => t.status === "running");
						const waits = session.timeline.waitsForApproval("chat", chat.id);
						return (
							<li key={chat.id}>
								<a
									href={`/chat/${chat.id}`}
									class="side-link"
									aria-current={current ? "page" : undefined}
									data-chat-id={chat.id}
									onClick={(e) => onNavClick(e, () => navigate({ kind: "chat", id: chat.id }))}
								>
									<span class="side-title">{names.get(chat.id) ?? chat.title}</span>
									{running && <span class="typing">answering…</span>}
									{waits && <StatusBadge status="awaiting_approval" />}
									<UnreadBadge count={chat.unread} />
								</a>
							</li>
						);
					})}
				</ul>
			)}
		</section>
	);
}
