import { type Highlighter, loadHighlightJs } from "./highlight-load.js";

/**
 * Syntax highlighting, loaded on first need (a dynamic import: highlight.js is not in the
 * page's first load). Until it has loaded, code shows as plain text; then every code block
 * on the page re-renders highlighted (components/use-highlighter.ts). No Preact here: the
 * Worker's type check reads this file through the Markdown tests.
 */
let hljs: Highlighter | undefined;
let loading: Promise<void> | undefined;
const waiting = new Set<() => void>();
/** Bumped when the highlighter arrives: part of cache keys of rendered HTML. */
export let highlightVersion = 0;

export function loadHighlighter(): Promise<void> {
	loading ??= (async () => {
		const h = await loadHighlightJs();
		hljs = h;
		highlightVersion++;
		for (const wake of waiting) wake();
	})().catch(() => {
		loading = undefined; // offline mid-load: plain text stays, the next block tries again
	});
	return loading;
}

/** Highlighted HTML for `code` in `lang`, or undefined (not loaded yet, or a language it doesn't know). */
export function highlightCode(code: string, lang: string | undefined): string | undefined {
	const name = lang?.trim().toLowerCase();
	if (!hljs || !name || !hljs.getLanguage(name)) return undefined;
	return hljs.highlight(code, { language: name, ignoreIllegals: true }).value;
}

/** Calls `wake` once the highlighter has arrived (already there: never); returns how to stop waiting. */
export function whenHighlighterReady(wake: () => void): () => void {
	waiting.add(wake);
	return () => void waiting.delete(wake);
}
