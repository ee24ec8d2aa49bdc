import { describe, expect, it } from "vitest";
import { renderMarkdown } from "../../web/src/lib/markdown.ts";

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
});
