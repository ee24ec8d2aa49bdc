import { useState } from "preact/hooks";
import type { ResultView } from "../../lib/steps.ts";
import { CodeBlock } from "./CodeBlock.tsx";

/**
 * A tool's result as a person reads it: its main text with real line breaks (an error says
 * what happened), and the whole result as pretty JSON one click away.
 */
export function ToolResult({ view }: { view: ResultView }) {
	const [raw, setRaw] = useState(false);
	const label = view.error ? "Error" : "Result";
	const isJson = view.json !== undefined && view.json === view.text;
	const canToggle = view.json !== undefined && !isJson;
	return (
		<div class="tool-result" data-view={raw ? "json" : "text"}>
			{raw && view.json !== undefined ? (
				<CodeBlock label={`${label} (JSON)`} text={view.json} lang="json" />
			) : (
				<CodeBlock label={label} text={view.text || "(empty)"} lang={isJson ? "json" : undefined} />
			)}
			{canToggle && (
				<button type="button" class="link json-toggle" aria-pressed={raw} onClick={() => setRaw(!raw)}>
					{raw ? "Show as text" : "Show JSON"}
				</button>
			)}
		</div>
	);
}
