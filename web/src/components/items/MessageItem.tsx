import { useEffect, useRef } from "preact/hooks";
import type { TimelineItem } from "../../../../src/client/index.ts";
import { copyText } from "../../lib/clipboard.ts";
import { hasCode, renderMarkdown } from "../../lib/markdown.ts";
import { CopyButton } from "../CopyButton.tsx";
import { StatusBadge } from "../StatusBadge.tsx";
import { useHighlighter } from "../use-highlighter.ts";

type Message = Extract<TimelineItem, { kind: "message" }>;

/** A code block's copy button (rendered into the Markdown's HTML): copies its code. */
export async function onCodeCopy(event: MouseEvent): Promise<void> {
	const button = (event.target as Element | null)?.closest<HTMLButtonElement>("[data-copy-code]");
	const code = button?.parentElement?.querySelector("pre code")?.textContent;
	if (!button || code == null) return;
	const ok = await copyText(code);
	button.textContent = ok ? "Copied" : "Copy failed";
	setTimeout(() => {
		button.textContent = "Copy";
	}, 1_500);
}

/** A user's message as typed (plain text); the agent's as sanitised Markdown, code highlighted. */
export function MessageItem({ item, pending }: { item: Message; pending: boolean }) {
	const who = item.role === "user" ? "You" : "Sparky";
	const assistant = item.role === "assistant";
	useHighlighter(assistant && hasCode(item.text));
	// The code blocks' copy buttons are in the rendered HTML: one listener for their clicks.
	const body = useRef<HTMLDivElement>(null);
	useEffect(() => {
		const el = body.current;
		if (!el) return;
		const onClick = (e: MouseEvent) => void onCodeCopy(e);
		el.addEventListener("click", onClick);
		return () => el.removeEventListener("click", onClick);
	}, [assistant]);
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
				{item.streaming && assistant && <span class="typing">writing…</span>}
				{!item.streaming && item.text && (
					<CopyButton text={() => item.text} label={assistant ? "Copy answer" : "Copy sent text"} class="quiet-copy" />
				)}
			</div>
			{/* Markdown from markdown-it with html:false: raw HTML escaped, links validated (lib/markdown.ts). */}
			{assistant ? (
				<div class="message-text markdown" ref={body} dangerouslySetInnerHTML={{ __html: renderMarkdown(item.text) }} />
			) : (
				<p class="message-text plain">{item.text}</p>
			)}
		</li>
	);
}
