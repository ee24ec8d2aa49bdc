import MarkdownIt from "markdown-it";
import { highlightCode, highlightVersion } from "./highlight.ts";

/**
 * Messages are Markdown from a model: rendered with raw HTML off (so it is escaped),
 * markdown-it's link check (no `javascript:`, `vbscript:`, `file:` or `data:` links), no
 * images (nothing loads from elsewhere), and links that open in a new tab without a referrer.
 */
const md = new MarkdownIt({
	html: false,
	linkify: true,
	breaks: true,
	typographer: false,
	// Plain (escaped by markdown-it) until the highlighter has loaded; highlight.js escapes its own.
	highlight: (code, lang) => highlightCode(code, lang) ?? "",
});
md.disable("image");

const defaultLinkOpen =
	md.renderer.rules.link_open ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
	const token = tokens[idx];
	if (token) {
		token.attrSet("target", "_blank");
		token.attrSet("rel", "noopener noreferrer");
	}
	return defaultLinkOpen(tokens, idx, options, env, self);
};

/** Each fenced block gets a copy button (MessageItem handles its clicks). */
const defaultFence = md.renderer.rules.fence;
md.renderer.rules.fence = (tokens, idx, options, env, self) => {
	const inner = defaultFence ? defaultFence(tokens, idx, options, env, self) : self.renderToken(tokens, idx, options);
	return `<div class="code-wrap">${inner}<button type="button" class="copy-button" data-copy-code aria-label="Copy code">Copy</button></div>`;
};

/** Whether a text has a fenced code block (the highlighter is loaded for it). */
export const hasCode = (text: string): boolean => /(^|\n) {0,3}(```|~~~)/.test(text);

const cache = new Map<string, string>();
const CACHE_SIZE = 400;

/** HTML for a message's Markdown. Cached: a streaming message re-renders every frame. */
export function renderMarkdown(text: string): string {
	// Rendered again once the highlighter arrives.
	const key = `${highlightVersion}:${text}`;
	const hit = cache.get(key);
	if (hit !== undefined) return hit;
	const html = md.render(text);
	if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
	cache.set(key, html);
	return html;
}
