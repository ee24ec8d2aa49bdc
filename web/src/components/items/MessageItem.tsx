import type { TimelineItem } from "../../../../src/client/index.ts";
import { renderMarkdown } from "../../lib/markdown.ts";
import { StatusBadge } from "../StatusBadge.tsx";

type Message = Extract<TimelineItem, { kind: "message" }>;

/** A user's message as typed (plain text); the agent's as sanitised Markdown. */
export function MessageItem({ item, pending }: { item: Message; pending: boolean }) {
	const who = item.role === "user" ? "You" : "Sparky";
	return (
		<li
			class={`item message message-${item.role}`}
			data-item-id={item.id}
			data-kind="message"
			data-role={item.role}
			data-streaming={item.streaming ? "true" : "false"}
		>
			<div class="item-head">
				<span class="who-label">{who}</span>
				{pending && <StatusBadge status="pending" />}
				{item.streaming && item.role === "assistant" && <span class="typing">writing…</span>}
			</div>
			{/* Markdown from markdown-it with html:false: raw HTML escaped, links validated (lib/markdown.ts). */}
			{item.role === "user" ? (
				<p class="message-text plain">{item.text}</p>
			) : (
				<div class="message-text markdown" dangerouslySetInnerHTML={{ __html: renderMarkdown(item.text) }} />
			)}
		</li>
	);
}
