import { describe, expect, it } from "vitest";
import { loadHighlighter } from "../../web/src/lib/highlight.ts";
import { hasCode, renderMarkdown } from "../../web/src/lib/markdown.ts";

describe("web: message Markdown", () => {
	it("renders Markdown", () => {
		expect(renderMarkdown("**bold** and `code`")).toBe("<p><strong>bold</strong> and <code>code</code></p>\n");
		expect(renderMarkdown("- a\n- b")).toContain("<li>a</li>");
	});

	it("escapes raw HTML instead of rendering it", () => {
		const html = renderMarkdown('<script>alert(1)</script><img src=x onerror="alert(2)">');
		expect(html).not.toContain("<script");
		expect(html).not.toContain("<img");
		expect(html).toContain("&lt;script&gt;");
	});

	it("refuses javascript:, vbscript: and data: links", () => {
		for (const url of ["javascript:alert(1)", "JAVASCRIPT:alert(1)", "vbscript:msgbox(1)", "data:text/html,<b>x</b>"]) {
			const html = renderMarkdown(`[click](${url})`);
			expect(html).not.toContain("<a");
		}
	});

	it("opens links in a new tab without opener or referrer", () => {
		const html = renderMarkdown("see [docs](https://example.com/a) and https://example.org");
		expect(html).toContain('<a href="https://example.com/a" target="_blank" rel="noopener noreferrer">docs</a>');
		expect(html).toContain('<a href="https://example.org" target="_blank" rel="noopener noreferrer">');
	});

	it("shows no images (nothing may load from elsewhere)", () => {
		const html = renderMarkdown("![tracker](https://example.com/pixel.png)");
		expect(html).not.toContain("<img");
	});

	it("shows code plain with a copy button, highlighted once the highlighter has loaded", async () => {
		const text = '```ts\nconst a: number = 1; // "<b>"\n```';
		expect(hasCode(text)).toBe(true);
		expect(hasCode("no `fence` here")).toBe(false);
		const plain = renderMarkdown(text);
		expect(plain).toContain('<button type="button" class="copy-button" data-copy-code aria-label="Copy code">');
		expect(plain).toContain('<code class="language-ts">const a: number = 1; // &quot;&lt;b&gt;&quot;\n</code>');
		expect(plain).not.toContain("hljs-");
		await loadHighlighter();
		const lit = renderMarkdown(text);
		expect(lit).toContain('<span class="hljs-keyword">const</span>');
		expect(lit).toContain('<span class="hljs-comment">// &quot;&lt;b&gt;&quot;</span>');
		expect(lit).not.toContain("<b>");
		// A language it doesn't know stays plain (and escaped).
		expect(renderMarkdown("```brainfuck\n<+>\n```")).toContain("&lt;+&gt;");
	});
});
