// highlight.js and the page's languages, as separate files fetched on first need (dynamic
// import). Plain JavaScript with its own highlight-load.d.ts: highlight.js's type file pulls
// in the DOM library, which must stay out of the Worker's type check (it reads the page's tests).
export async function loadHighlightJs() {
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
