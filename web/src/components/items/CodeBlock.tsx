import { useState } from "preact/hooks";
import { truncate } from "../../lib/format.ts";

/** Past this many characters, output is cut until "Show more" is pressed. */
const LIMIT = 1_500;

export function CodeBlock({ label, text }: { label: string; text: string }) {
	const [full, setFull] = useState(false);
	const shown = full ? { text, more: false } : truncate(text, LIMIT);
	return (
		<div class="code-block">
			<div class="code-label">{label}</div>
			<pre>
				<code>{shown.text}</code>
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
