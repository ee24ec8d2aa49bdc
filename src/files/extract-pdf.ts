import { definePDFJSModule, extractText, getDocumentProxy } from "unpdf";

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

/** One string per page, in order (an unreadable PDF throws: the caller says so to the model). */
export async function pdfPages(bytes: Uint8Array): Promise<string[]> {
	await loadPdfJs();
	const pdf = await getDocumentProxy(bytes);
	try {
		const { text } = await extractText(pdf, { mergePages: false });
		return text.map((page) => page.replace(/[ \t]+\n/g, "\n").trim());
	} finally {
		await pdf.loadingTask.destroy();
	}
}
