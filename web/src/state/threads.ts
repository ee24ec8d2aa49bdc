import type { ThreadKey, Timeline, TimelineItem } from "../../../src/client/index.ts";
import type { Route } from "../lib/route.ts";

/** How far the page got loading one thread's past (live events need no loading). */
export interface ThreadLoad {
	status: "idle" | "loading" | "loaded" | "error";
	error?: string;
	/** Chats: `before` for the next older page; null when the start is loaded. */
	nextBefore?: string | null;
	loadingEarlier?: boolean;
}

/**
 * Which timeline thread shows a route. A task posted into a chat streams into that chat's
 * thread (its events carry `chat_id`), so its view is the chat thread's items of that turn.
 */
export function threadFor(route: Route, timeline: Timeline): { key: ThreadKey; turnId?: string } | undefined {
	if (route.kind === "chat") return { key: `chat:${route.id}` };
	if (route.kind === "task") {
		const chatId = timeline.task(route.id)?.chatId;
		return chatId ? { key: `chat:${chatId}`, turnId: route.id } : { key: `task:${route.id}` };
	}
	return undefined;
}

export function routeItems(route: Route, timeline: Timeline): TimelineItem[] {
	const thread = threadFor(route, timeline);
	if (!thread) return [];
	const items = timeline.items(thread.key);
	return thread.turnId ? items.filter((i) => i.turnId === thread.turnId) : items;
}
