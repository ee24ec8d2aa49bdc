import type { HLJSApi } from "highlight.js";

/**
 * Syntax highlighting, loaded on first need (a dynamic import: highlight.js is not in the
 * page's first load). Until it has loaded, code shows as plain text; then every code block
 * on the page re-renders highlighted (components/use-highlighter.ts).
 */
let hljs: HLJSApi | undefined;
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

/** highlight.js with the page's languages registered, each its own file fetched now. */
async function loadHighlightJs(): Promise<HLJSApi> {
	const [core, js, ts, json, bash, python, xml, css, sql, diff] = await Promise.all([
		import("highlight.js/lib/core"),
		import("highlight.js/lib/languages/javascript"),
		import("highlight.js/lib/languages/typescript"),
		import("highlight.js/lib/languages/json"),
		import("highlight.js/lib/languages/bash"),
		import("highlight.js/lib/languages/python"),
		import("highlight.js/lib/languages/xml"),
		import("highlight.js/lib/languages/css"),
		import("highlight.js/lib/languages/sql"),
		import("highlight.js/lib/languages/diff"),
	]);
	const h = core.default;
	h.registerLanguage("javascript", js.default);
	h.registerLanguage("typescript", ts.default);
	h.registerLanguage("json", json.default);
	h.registerLanguage("bash", bash.default);
	h.registerLanguage("python", python.default);
	h.registerLanguage("xml", xml.default);
	h.registerLanguage("css", css.default);
	h.registerLanguage("sql", sql.default);
	h.registerLanguage("diff", diff.default);
	h.registerAliases(["sh", "shell", "zsh", "console"], { languageName: "bash" });
	return h;
}
