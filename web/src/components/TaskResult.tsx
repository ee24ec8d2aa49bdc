import { hasCode, renderMarkdown } from "../lib/markdown.ts";
import { CopyButton } from "./CopyButton.tsx";
import { useHighlighter } from "./use-highlighter.ts";

/** A finished task's answer, above its steps: what the reader came for first. */
export function TaskResult({ text }: { text: string }) {
	useHighlighter(hasCode(text));
	return (
		<section class="task-result" aria-labelledby="task-result-title">
			<div class="item-head">
				<h3 id="task-result-title" class="who-label">
					Result
				</h3>
				<CopyButton text={text} label="Copy result" class="quiet-copy" />
			</div>
			{/* Markdown from markdown-it with html:false (lib/markdown.ts), like the agent's messages. */}
			<div class="message-text markdown" dangerouslySetInnerHTML={{ __html: renderMarkdown(text) }} />
		</section>
	);
}
