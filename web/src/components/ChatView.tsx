import { useEffect, useState } from "preact/hooks";
import type { SteeredMessage } from "../../../src/client/index.ts";
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
	// A message may join the running turn (Steer) while it runs or waits for an approval.
	const answering = turns.some((t) => t.status === "running" || t.status === "awaiting_approval");
	const steers = timeline.pendingSteers(chatId);
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
				after={steers.length > 0 ? <PendingSteers session={session} steers={steers} /> : undefined}
				empty={
					<p class="muted empty">
						{load.status === "loading" || load.status === "idle" ? "Loading…" : "Say something to start."}
					</p>
				}
			/>
			<QuietNote last={session.liveness.lastOf(`chat:${chatId}`, items)} running={running} />
			<Composer
				running={running}
				answering={answering}
				policy={chat?.policy}
				onPolicy={(policy) => session.setChatPolicy(chatId, policy)}
				autoFocus={load.status === "loaded" && items.length === 0}
				attachments={attachments}
				onSend={(text, files, policy) => session.sendChat(chatId, text, files, policy)}
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

/**
 * Messages steered into the running answer that its run hasn't read yet: under the turn, until
 * the run takes them at its next step (they then show in the turn, where it read them).
 */
function PendingSteers({ session, steers }: { session: Session; steers: readonly SteeredMessage[] }) {
	return (
		<ul class="timeline steered-pending" aria-label="Steered, waiting for the next step">
			{steers.map((m) => {
				const status = session.timeline.task(m.turnId)?.status;
				const ended = status === "succeeded" || status === "failed" || status === "cancelled";
				return (
					<li key={m.messageId} class="item message message-user" data-steer-id={m.messageId} data-role="user">
						<div class="item-head">
							<span class="who-label">You</span>
							<span class="badge status-pending">{ended ? "next turn" : "steered"}</span>
						</div>
						<p class="message-text plain">{m.text}</p>
						<p class="steer-note">
							{ended
								? "The answer ended before reading it: it is answered next."
								: "Will be read at the next step of the running answer."}
						</p>
					</li>
				);
			})}
		</ul>
	);
}
