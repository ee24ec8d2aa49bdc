/** What the page uses of highlight.js (its own types would bring the DOM library along). */
export interface Highlighter {
	getLanguage(name: string): object | undefined;
	highlight(code: string, options: { language: string; ignoreIllegals: boolean }): { value: string };
}

/** highlight.js with the page's languages registered (js, ts, json, bash/sh/shell, python, xml/html, css, sql, diff). */
export function loadHighlightJs(): Promise<Highlighter>;
