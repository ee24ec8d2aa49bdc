import { useEffect, useState } from "preact/hooks";
import { describeError } from "../lib/api.ts";
import type { Session } from "../state/session.ts";
import { routeItems } from "../state/threads.ts";
import { ChatTitle } from "./ChatTitle.tsx";
import { Composer } from "./Composer.tsx";
import { QuietNote } from "./QuietNote.tsx";
import { TimelineView } from "./TimelineView.tsx";
import { useAttachments } from "./use-attachments.ts";

interface Props {
	session: Session;
	chatId: string;
}

/** One chat: its history (older pages on demand), live turns, pending messages, the composer. */
export function ChatView({ session, chatId }: Props) {
	const [stopError, setStopError] = useState<string | undefined>();
	const attachments = useAttachments(session.files);
	const timeline = session.timeline;
	const chat = timeline.chats().find((c) => c.id === chatId);
	const load = session.load(`chat:${chatId}`);
	const items = routeItems(session.route, timeline);
	const turns = timeline.openTurns(chatId);
	const running = turns.some((t) => t.status === "running");
	// Waiting its turn; a turn paused for approval has started (its card says what it waits for).
	const pending = new Set(
		turns.filter((t) => t.status !== "running" && t.status !== "awaiting_approval").map((t) => t.id),
	);

	// Arriving at a chat puts the reader at its title; a new, empty chat at its message box (Composer).
	useEffect(() => {
		if (!(load.status === "loaded" && items.length === 0)) document.getElementById("thread-title")?.focus();
	}, [chatId]);

	const earlier =
		load.nextBefore || load.loadingEarlier ? (
			<div class="load-earlier">
				<button type="button" class="quiet" disabled={load.loadingEarlier} onClick={() => session.loadEarlier(chatId)}>
					{load.loadingEarlier ? "Loading…" : "Load earlier messages"}
				</button>
			</div>
		) : null;

	return (
		// Files dropped anywhere on the chat go with the next message.
		<section class="thread" aria-labelledby="thread-title" data-chat-id={chatId} {...attachments.dropTarget}>
			<ChatTitle session={session} chatId={chatId} title={chat?.title ?? "Chat"} />
			{load.status === "error" && (
				<p class="error banner" role="alert">
					Could not load this chat: {load.error}{" "}
					<button type="button" class="link" onClick={() => void session.reload()}>
						Retry
					</button>
				</p>
			)}
			{stopError && (
				<p class="error banner" role="alert">
					{stopError}
				</p>
			)}
			<TimelineView
				items={items}
				onDecide={(approval, approved, reason) => session.decideApproval(approval, approved, reason)}
				me={session.me.user_id}
				pendingTurns={pending}
				summaries={timeline.summaries(chatId)}
				loadSummaries={() => session.summaries.load(chatId)}
				loadMemory={(id) => session.memories.get(id)}
				files={session.files}
				before={earlier}
				empty={
					<p class="muted empty">
						{load.status === "loading" || load.status === "idle" ? "Loading…" : "Say something to start."}
					</p>
				}
			/>
			<QuietNote last={session.liveness.lastOf(`chat:${chatId}`, items)} running={running} />
			<Composer
				running={running}
				autoFocus={load.status === "loaded" && items.length === 0}
				attachments={attachments}
				onSend={(text, files) => session.sendChat(chatId, text, files)}
				onStop={async () => {
					setStopError(undefined);
					try {
						await session.stopChat(chatId);
					} catch (error) {
						setStopError(describeError(error));
						throw error;
					}
				}}
			/>
		</section>
	);
}
