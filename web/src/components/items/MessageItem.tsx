import type { TimelineItem } from "../../../../src/client/index.ts";
import type { SparkyFile } from "../../../../src/protocol/index.ts";
import { hasCode, renderMarkdown } from "../../lib/markdown.ts";
import { CopyButton } from "../CopyButton.tsx";
import { FileAttachments, type FileBytes } from "../FileAttachments.tsx";
import { StatusBadge } from "../StatusBadge.tsx";
import { useCodeCopy } from "../use-code-copy.ts";
import { useHighlighter } from "../use-highlighter.ts";

type Message = Extract<TimelineItem, { kind: "message" }>;

interface Props {
	item: Message;
	pending: boolean;
	/** The files the message carries. */
	files?: { files: readonly SparkyFile[]; bytes: FileBytes };
}

/**
 * A user's message as typed (plain text), with the files it carries; the agent's as
 * sanitised Markdown, code highlighted.
 */
export function MessageItem({ item, pending, files }: Props) {
	const who = item.role === "user" ? "You" : "Sparky";
	const assistant = item.role === "assistant";
	useHighlighter(assistant && hasCode(item.text));
	const body = useCodeCopy<HTMLDivElement>([assistant]);
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
			{files && <FileAttachments files={files.files} bytes={files.bytes} />}
		</li>
	);
}
