import { describe, expect, it } from "vitest";
import { htmlToText } from "../../src/tools/html-to-text.ts";

describe("htmlToText", () => {
	it("reads the title and drops the head", () => {
		const page = htmlToText(
			"<html><head><meta charset=utf-8><title> Hello &amp; welcome </title><link rel=x></head><body>Hi</body></html>",
		);
		expect(page).toEqual({ title: "Hello & welcome", text: "Hi" });
	});

	it("has no title when the page has none", () => {
		expect(htmlToText("<p>just text</p>")).toEqual({ text: "just text" });
	});

	it("takes the first title, not one inside an SVG", () => {
		const page = htmlToText("<svg><title>icon</title></svg><title>Real</title><title>Second</title><p>x</p>");
		expect(page.title).toBe("Real");
		expect(page.text).toBe("x");
	});

	it("drops script, style, noscript, template and svg", () => {
		const page = htmlToText(
			`<p>a</p><script>var s = "<p>no</p>";</script><style>p { color: red }</style>
			<noscript>enable js</noscript><template><p>tpl</p></template><svg><text>vector</text></svg><p>b</p>`,
		);
		expect(page.text).toBe("a\n\nb");
	});

	it("survives an unclosed script", () => {
		expect(htmlToText("<p>a</p><script>never closed").text).toBe("a");
	});

	it("ends the head at the first body element even without </head> or <body>", () => {
		expect(htmlToText("<head><title>T</title><p>no body tag").text).toBe("no body tag");
	});

	it("decodes named and numeric entities", () => {
		expect(
			htmlToText("<p>&lt;b&gt; &amp; &quot;q&quot; &#39;s&#39; caf&eacute; &copy; &#x263A; &#9731; &mdash;</p>").text,
		).toBe("<b> & \"q\" 's' café © ☺ ☃ —");
	});

	it("turns &nbsp; into a plain space", () => {
		expect(htmlToText("<p>a&nbsp;&nbsp;b</p>").text).toBe("a b");
	});

	it("puts blocks on their own lines", () => {
		const html = `<h1>Title</h1><p>one</p><p>two</p><ul><li>x</li><li>y</li></ul>
			<div>d1</div><div><div>d2</div></div><section>s</section><article>a</article>
			<header>h</header><footer>f</footer><blockquote>q</blockquote>`;
		expect(htmlToText(html).text).toBe("Title\n\none\n\ntwo\n\nx\ny\n\nd1\nd2\n\ns\n\na\n\nh\n\nf\n\nq");
	});

	it("breaks lines at <br> and table rows", () => {
		expect(htmlToText("a<br>b<br/><br>c").text).toBe("a\nb\n\nc");
		expect(htmlToText("<table><tr><td>1</td><td>2</td></tr><tr><th>3</th></tr></table>").text).toBe("1 2\n3");
	});

	it("collapses whitespace but keeps words apart", () => {
		expect(htmlToText("  <p>  many \n\t  spaces   here </p>  ").text).toBe("many spaces here");
		expect(htmlToText("<p>a <b>bold</b> <i>word</i>s</p>").text).toBe("a bold words");
		expect(htmlToText("<p>x</p>\n\n\n   \n<p>y</p>").text).toBe("x\n\ny");
	});

	it("keeps the layout of <pre>", () => {
		expect(htmlToText("<p>code:</p><pre>if (x) {\n  y();\n}</pre><p>after</p>").text).toBe(
			"code:\n\nif (x) {\n  y();\n}\n\nafter",
		);
	});

	it("reads an empty or text-free page as empty", () => {
		expect(htmlToText("")).toEqual({ text: "" });
		expect(htmlToText("<script>x()</script>")).toEqual({ text: "" });
	});
});
