import MarkdownIt from "markdown-it";

/**
 * Messages are Markdown from a model: rendered with raw HTML off (so it is escaped),
 * markdown-it's link check (no `javascript:`, `vbscript:`, `file:` or `data:` links), no
 * images (nothing loads from elsewhere), and links that open in a new tab without a referrer.
 */
const md = new MarkdownIt({ html: false, linkify: true, breaks: true, typographer: false });
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

const cache = new Map<string, string>();
const CACHE_SIZE = 400;

/** HTML for a message's Markdown. Cached: a streaming message re-renders every frame. */
export function renderMarkdown(text: string): string {
	const hit = cache.get(text);
	if (hit !== undefined) return hit;
	const html = md.render(text);
	if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
	cache.set(text, html);
	return html;
}
