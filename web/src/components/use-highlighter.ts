import { useEffect, useState } from "preact/hooks";
import { highlightVersion, loadHighlighter, whenHighlighterReady } from "../lib/highlight.ts";

/** Loads the highlighter when `needed` and re-renders the caller once it is there. */
export function useHighlighter(needed: boolean): number {
	const [version, setVersion] = useState(highlightVersion);
	useEffect(() => {
		if (!needed) return;
		const stop = whenHighlighterReady(() => setVersion(highlightVersion));
		if (highlightVersion !== version) setVersion(highlightVersion);
		void loadHighlighter();
		return stop;
	}, [needed]);
	return version;
}
