/**
 * How `http_fetch` reads an HTML page: readable text and the title. Web-standard APIs and
 * htmlparser2 only (it type-checks and is tested under Deno too).
 */
import { Parser } from "htmlparser2";

/** Elements whose content is never readable text. */
const SKIPPED = new Set(["script", "style", "noscript", "template", "svg", "math", "iframe", "object", "canvas"]);
/** Elements that may appear in <head>; any other element means the body has begun. */
const HEAD_CONTENT = new Set(["title", "meta", "link", "base", "script", "style", "noscript", "template"]);
/** Blocks that start a new paragraph (blank line) or a new line. */
const PARAGRAPH = new Set([
	..."p h1 h2 h3 h4 h5 h6 pre blockquote section article header footer main nav aside".split(" "),
	..."ul ol dl table figure form fieldset details address hr".split(" "),
]);
const LINE = new Set("div li tr dt dd caption figcaption summary legend option".split(" "));

/** Collects text with HTML's whitespace rules: runs collapse, blocks break lines. */
class TextWriter {
	private out: string[] = [];
	private started = false;
	/** Newlines owed before the next text (0, 1 or 2). */
	private breaks = 0;
	/** A space owed before the next text. */
	private space = false;

	block(newlines: number): void {
		this.breaks = Math.max(this.breaks, newlines);
		this.space = false;
	}

	lineBreak(): void {
		this.breaks = Math.min(this.breaks + 1, 2);
		this.space = false;
	}

	text(raw: string, preformatted: boolean): void {
		if (preformatted) {
			if (raw === "") return;
			this.flush(false);
			this.out.push(raw);
			this.started = true;
			return;
		}
		// \s includes U+00A0, so &nbsp; reads as an ordinary space.
		const collapsed = raw.replace(/\s+/g, " ");
		const core = collapsed.trim();
		if (core === "") {
			if (collapsed !== "") this.space = this.started;
			return;
		}
		this.flush(collapsed.startsWith(" "));
		this.out.push(core);
		this.started = true;
		this.space = collapsed.endsWith(" ");
	}

	private flush(leadingSpace: boolean): void {
		if (this.started && this.breaks > 0) this.out.push("\n".repeat(this.breaks));
		else if (this.started && (this.space || leadingSpace)) this.out.push(" ");
		this.breaks = 0;
		this.space = false;
	}

	toString(): string {
		return this.out
			.join("")
			.replace(/\n{3,}/g, "\n\n")
			.trim();
	}
}

/**
 * Readable text of an HTML page: scripts, styles and other non-text parts dropped, blocks
 * on their own lines, entities decoded (htmlparser2 knows the full HTML5 entity table).
 */
export function htmlToText(html: string): { title?: string; text: string } {
	const writer = new TextWriter();
	let skipDepth = 0;
	let preDepth = 0;
	let inHead = false;
	let inTitle = false;
	let title: string | undefined;
	let titleText = "";

	const parser = new Parser(
		{
			onopentag(name) {
				if (inHead && !HEAD_CONTENT.has(name)) inHead = false;
				if (SKIPPED.has(name)) skipDepth++;
				if (skipDepth > 0) return;
				if (name === "head") inHead = true;
				else if (name === "title") inTitle = true;
				else if (name === "br") writer.lineBreak();
				else if (name === "pre") preDepth++;
				if (PARAGRAPH.has(name)) writer.block(2);
				else if (LINE.has(name)) writer.block(1);
				else if (name === "td" || name === "th") writer.text(" ", false);
			},
			onclosetag(name) {
				if (SKIPPED.has(name)) {
					skipDepth = Math.max(0, skipDepth - 1);
					return;
				}
				if (skipDepth > 0) return;
				if (name === "head") inHead = false;
				else if (name === "title" && inTitle) {
					inTitle = false;
					// Only the first <title> counts; later ones are dropped like the head.
					title ??= titleText.replace(/\s+/g, " ").trim();
				} else if (name === "pre") preDepth = Math.max(0, preDepth - 1);
				if (PARAGRAPH.has(name)) writer.block(2);
				else if (LINE.has(name)) writer.block(1);
				else if (name === "td" || name === "th") writer.text(" ", false);
			},
			ontext(text) {
				if (skipDepth > 0) return;
				if (inTitle) {
					if (title === undefined) titleText += text;
				} else if (!inHead) writer.text(text, preDepth > 0);
			},
		},
		{ decodeEntities: true },
	);
	parser.write(html);
	parser.end();
	return title ? { title, text: writer.toString() } : { text: writer.toString() };
}
