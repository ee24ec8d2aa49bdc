import { useState } from "preact/hooks";
import { truncate } from "../../lib/format.ts";
import { highlightCode } from "../../lib/highlight.ts";
import { CopyButton } from "../CopyButton.tsx";
import { useHighlighter } from "../use-highlighter.ts";

/** Past this many characters, output is cut until "Show more" is pressed. */
const LIMIT = 1_500;

interface Props {
	label: string;
	text: string;
	/** A highlight.js language ("json", "bash", …): highlighted once the highlighter loads. */
	lang?: string;
}

/** A labelled block of code or output: a copy button, highlighting, long text behind "Show more". */
export function CodeBlock({ label, text, lang }: Props) {
	const [full, setFull] = useState(false);
	useHighlighter(!!lang);
	const shown = full ? { text, more: false } : truncate(text, LIMIT);
	const html = lang ? highlightCode(shown.text, lang) : undefined;
	return (
		<div class="code-block">
			<div class="code-head">
				<span class="code-label">{label}</span>
				<CopyButton text={text} label={`Copy ${label.toLowerCase()}`} />
			</div>
			<pre>
				{/* highlight.js escapes the code it returns: its HTML is the code's text plus spans. */}
				{html !== undefined ? (
					<code class={`hljs language-${lang}`} dangerouslySetInnerHTML={{ __html: html }} />
				) : (
					<code>{shown.text}</code>
				)}
			</pre>
			{(shown.more || full) && (
				<button type="button" class="link" aria-expanded={full} onClick={() => setFull(!full)}>
					{full
						? "Show less"
						: `Show more (${(text.length - shown.text.length + 1).toLocaleString("en-US")} more characters)`}
				</button>
			)}
		</div>
	);
}
