import { useLayoutEffect, useState } from "preact/hooks";
import { hasCode, renderMarkdown } from "../lib/markdown.ts";
import { CopyButton } from "./CopyButton.tsx";
import { useCodeCopy } from "./use-code-copy.ts";
import { useHighlighter } from "./use-highlighter.ts";

/**
 * A finished task's answer, above its steps: what the reader came for first. It is the
 * answer's only place on the page (the run's last message points here). A long one shows its
 * first lines and opens in place (**Show the whole answer**): no box to scroll inside.
 */
export function TaskResult({ text }: { text: string }) {
	useHighlighter(hasCode(text));
	const body = useCodeCopy<HTMLDivElement>();
	const [long, setLong] = useState(false);
	const [open, setOpen] = useState(false);

	// Whether the answer is cut: measured again when its text or the width changes.
	useLayoutEffect(() => {
		const el = body.current;
		if (!el || open) return;
		const measure = () => setLong(el.scrollHeight > el.clientHeight + 1);
		measure();
		const observer = new ResizeObserver(measure);
		observer.observe(el);
		return () => observer.disconnect();
	}, [text, open]);

	return (
		<section
			id="task-result"
			class="task-result"
			aria-labelledby="task-result-title"
			tabIndex={-1}
			data-long={long || undefined}
			data-open={open || undefined}
		>
			<div class="item-head">
				<h3 id="task-result-title" class="who-label">
					Result
				</h3>
				<CopyButton text={text} label="Copy result" class="quiet-copy" />
			</div>
			{/* Markdown from markdown-it with html:false (lib/markdown.ts), like the agent's messages. */}
			<div
				id="task-result-text"
				ref={body}
				class="message-text markdown result-text"
				dangerouslySetInnerHTML={{ __html: renderMarkdown(text) }}
			/>
			{(long || open) && (
				<button
					type="button"
					class="link result-toggle"
					aria-expanded={open}
					aria-controls="task-result-text"
					onClick={() => setOpen(!open)}
				>
					{open ? "Show less" : "Show the whole answer"}
				</button>
			)}
		</section>
	);
}
