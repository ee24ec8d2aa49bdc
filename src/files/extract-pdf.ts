import { definePDFJSModule, getDocumentProxy } from "unpdf";
import { withoutTrailing } from "../protocol/index.ts";

/**
 * A PDF's text, page by page, with unpdf (PDF.js built for serverless runtimes: Workers and
 * Deno alike). PDF.js is most of a megabyte of code: it is loaded on the first PDF an isolate
 * reads, never at startup (the import below is the only one of it, and a dynamic one).
 */
let loaded: Promise<void> | undefined;

function loadPdfJs(): Promise<void> {
	loaded ??= definePDFJSModule(() => import("unpdf/pdfjs")).catch((error) => {
		loaded = undefined;
		throw error;
	});
	return loaded;
}

/** Pages read at most, whatever the PDF says it has. */
export const MAX_PDF_PAGES = 2000;

/**
 * The text of a PDF's pages, in order, one string per page, and how many pages it has (an
 * unreadable PDF throws: the caller says so to the model). One page at a time (unpdf's
 * `extractText` opens them all at once), and none past `maxChars` of text or MAX_PDF_PAGES:
 * extraction runs in the isolate a consumer batch shares, so one large or hostile PDF must not
 * take its memory or time.
 */
export async function pdfPages(bytes: Uint8Array, maxChars: number): Promise<{ pages: string[]; total: number }> {
	await loadPdfJs();
	const pdf = await getDocumentProxy(bytes);
	try {
		const pages: string[] = [];
		let chars = 0;
		const last = Math.min(pdf.numPages, MAX_PDF_PAGES);
		for (let n = 1; n <= last && chars < maxChars; n++) {
			const page = await pdf.getPage(n);
			const content = await page.getTextContent();
			const text = content.items.map((item) => ("str" in item ? item.str + (item.hasEOL ? "\n" : "") : "")).join("");
			page.cleanup();
			// Each line less its trailing spaces and tabs (line by line: /[ \t]+\n/g is quadratic).
			const kept = text
				.split("\n")
				.map((line) => withoutTrailing(line, " \t"))
				.join("\n")
				.trim();
			pages.push(kept);
			chars += kept.length + 1;
		}
		return { pages, total: pdf.numPages };
	} finally {
		await pdf.loadingTask.destroy();
	}
}
