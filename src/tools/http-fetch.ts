import { z } from "zod";
import { withoutTrailing } from "../protocol/index.ts";
import { htmlToText } from "./html-to-text.ts";
import { allowHint, checkUrl } from "./net-guard.ts";
import { networkErrorText } from "./network-error.ts";
import { defineTool, fail, type ToolContext, type ToolFailure } from "./types.ts";

const MAX_URL_LENGTH = 2048;
export const MAX_REDIRECTS = 5;
const FETCH_TIMEOUT_MS = 10_000;
/** Bytes of body read at most; the rest is never pulled from the network. */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Characters of text handed back to the model at most. */
export const MAX_TEXT_CHARS = 20_000;

export interface FetchLimits {
	maxRedirects: number;
	timeoutMs: number;
	maxBodyBytes: number;
	maxTextChars: number;
}

export const HTTP_FETCH_LIMITS: FetchLimits = {
	maxRedirects: MAX_REDIRECTS,
	timeoutMs: FETCH_TIMEOUT_MS,
	maxBodyBytes: MAX_BODY_BYTES,
	maxTextChars: MAX_TEXT_CHARS,
};

const Input = z.strictObject({
	url: z.string().max(MAX_URL_LENGTH).describe("Absolute http:// or https:// URL of a public page or resource."),
	method: z.enum(["GET", "HEAD"]).default("GET").describe("HEAD to see only status, type and size."),
});

export interface HttpFetchResult {
	/** The URL finally answered, after redirects. */
	url: string;
	status: number;
	content_type: string;
	title?: string;
	text: string;
	/** True when the body passed 1 MiB or the text passed 20,000 characters and was cut. */
	truncated: boolean;
	redirects: number;
	/** From the Content-Length header, when the server sent one. */
	content_length?: number;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

const HEADERS = {
	accept: "text/html,application/xhtml+xml,application/json;q=0.9,text/*;q=0.8,*/*;q=0.1",
	"user-agent": "Sparky/0.1 (http_fetch tool)",
};

/**
 * The fetch itself, with limits as a parameter so tests can use a short timeout. Never
 * throws: every expected problem comes back as a ToolFailure the model can read.
 */
export async function httpFetch(
	input: z.output<typeof Input>,
	ctx: ToolContext,
	limits: FetchLimits = HTTP_FETCH_LIMITS,
): Promise<HttpFetchResult | ToolFailure> {
	const first = checkUrl(input.url, ctx.config.fetchAllow);
	if (!first.ok) return fail(`refused to fetch ${input.url}: ${first.reason}${allowHint(first)}`);

	let url = first.url;
	let redirects = 0;
	// One signal for the whole exchange, redirects and body included.
	const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(limits.timeoutMs)]);
	const aborted = () =>
		ctx.signal.aborted
			? fail(`the fetch of ${url.href} was cancelled`)
			: fail(`timed out after ${limits.timeoutMs / 1000} s fetching ${url.href}`);
	let response: Response;
	// Called unbound: workerd's fetch throws "Illegal invocation" when `this` is `ctx`.
	const doFetch = ctx.fetch;
	for (;;) {
		try {
			// Redirects are followed by hand so that every hop passes checkUrl.
			response = await doFetch(url.href, { method: input.method, redirect: "manual", signal, headers: HEADERS });
		} catch (error) {
			if (signal.aborted) return aborted();
			return fail(`could not fetch ${url.href}: ${networkErrorText(error, url.host)}`);
		}
		const location = response.headers.get("location");
		if (!REDIRECT_STATUSES.has(response.status) || location === null) break;
		await discard(response);
		if (redirects >= limits.maxRedirects) {
			return fail(`too many redirects (more than ${limits.maxRedirects}), last at ${url.href}`);
		}
		let next: URL;
		try {
			next = new URL(location, url);
		} catch {
			return fail(`${url.href} redirected to an invalid location ${JSON.stringify(location.slice(0, 200))}`);
		}
		const checked = checkUrl(next.href, ctx.config.fetchAllow);
		if (!checked.ok)
			return fail(`refused redirect from ${url.href} to ${next.href}: ${checked.reason}${allowHint(checked)}`);
		url = checked.url;
		redirects++;
	}

	const contentType = response.headers.get("content-type") ?? "";
	const length = Number.parseInt(response.headers.get("content-length") ?? "", 10);
	const contentLength = Number.isSafeInteger(length) && length >= 0 ? length : undefined;
	const base = {
		url: url.href,
		status: response.status,
		content_type: contentType,
		...(contentLength === undefined ? {} : { content_length: contentLength }),
	};

	if (input.method === "HEAD" || response.body === null) {
		await discard(response);
		return { ...base, text: "", truncated: false, redirects };
	}
	const kind = bodyKind(contentType);
	if (kind === "binary") {
		await discard(response);
		const size = contentLength === undefined ? "of unknown size" : `${contentLength} bytes`;
		return fail(`${url.href} is ${contentType} (${size}); http_fetch reads only text, HTML and JSON`, {
			...base,
			redirects,
		});
	}

	let body: { bytes: Uint8Array; truncated: boolean };
	try {
		body = await readCapped(response.body, limits.maxBodyBytes, signal);
	} catch (error) {
		if (signal.aborted) return aborted();
		return fail(`could not read the body of ${url.href}: ${networkErrorText(error, url.host)}`);
	}
	if (kind === "unknown" && !looksLikeText(body.bytes)) {
		return fail(`${url.href} has no content type and looks binary; http_fetch reads only text`, {
			...base,
			redirects,
		});
	}

	let raw = decode(body.bytes, contentType);
	// A cut in the middle of a UTF-8 sequence leaves a replacement character behind.
	if (body.truncated) raw = withoutTrailing(raw, "\uFFFD");
	const page = kind === "html" ? htmlToText(raw) : { text: raw };
	let truncated = body.truncated;
	let text = page.text;
	if (text.length > limits.maxTextChars) {
		text = text.slice(0, limits.maxTextChars);
		truncated = true;
	}
	return { ...base, ...(page.title === undefined ? {} : { title: page.title }), text, truncated, redirects };
}

export const httpFetchTool = defineTool({
	name: "http_fetch",
	// a URL may do something when fetched; a cut-off call is not repeated blindly
	idempotent: false,
	description:
		"Fetch a public web page or text resource over HTTP(S) and return its readable text. " +
		"HTML comes back as plain text with the page title; JSON, XML and other text as they are. " +
		"GET (default) or HEAD (status, content type and size only); no request body, custom headers or cookies. " +
		`Follows up to ${MAX_REDIRECTS} redirects, gives up after ${FETCH_TIMEOUT_MS / 1000} s, reads at most 1 MiB ` +
		`and returns at most ${MAX_TEXT_CHARS} characters (truncated: true when cut). ` +
		"Binary files (images, PDFs, archives) are not read. Private, loopback and internal addresses, " +
		"credentials in the URL and ports other than 80, 443, 8080 and 8443 are refused. " +
		"Result: {url, status, content_type, title?, text, truncated, redirects} or {error}.",
	input: Input,
	execute: (input, ctx) => httpFetch(input, ctx),
});

// ---- helpers ------------------------------------------------------------------------------

type BodyKind = "html" | "text" | "binary" | "unknown";

function bodyKind(contentType: string): BodyKind {
	const mime = (contentType.split(";")[0] ?? "").trim().toLowerCase();
	if (mime === "") return "unknown";
	if (mime === "text/html" || mime === "application/xhtml+xml") return "html";
	if (mime.startsWith("text/")) return "text";
	if (/^application\/(json|xml|javascript|ecmascript|x-javascript|x-ndjson|ld\+json|yaml|x-yaml|toml)$/.test(mime)) {
		return "text";
	}
	if (mime.endsWith("+json") || mime.endsWith("+xml")) return "text";
	return "binary";
}

/**
 * Reads a body up to `max` bytes, then cancels the stream: what lies past the limit is
 * never requested. The signal also cuts a read that hangs.
 */
async function readCapped(
	body: ReadableStream<Uint8Array>,
	max: number,
	signal: AbortSignal,
): Promise<{ bytes: Uint8Array; truncated: boolean }> {
	const reader = body.getReader();
	const onAbort = () => void reader.cancel(signal.reason).catch(() => {});
	signal.addEventListener("abort", onAbort, { once: true });
	const chunks: Uint8Array[] = [];
	let size = 0;
	let truncated = false;
	try {
		signal.throwIfAborted();
		for (;;) {
			const { done, value } = await reader.read();
			// A cancel by onAbort ends the read as if the body were done.
			signal.throwIfAborted();
			if (done) break;
			if (size + value.byteLength > max) {
				chunks.push(value.subarray(0, max - size));
				size = max;
				truncated = true;
				await reader.cancel().catch(() => {});
				break;
			}
			chunks.push(value);
			size += value.byteLength;
		}
	} finally {
		signal.removeEventListener("abort", onAbort);
		reader.releaseLock();
	}
	const bytes = new Uint8Array(size);
	let offset = 0;
	for (const chunk of chunks) {
		bytes.set(chunk, offset);
		offset += chunk.byteLength;
	}
	return { bytes, truncated };
}

function decode(bytes: Uint8Array, contentType: string): string {
	const charset = /;\s*charset\s*=\s*"?([\w.:-]+)/i.exec(contentType)?.[1];
	if (charset) {
		try {
			return new TextDecoder(charset).decode(bytes);
		} catch {
			// An unknown charset: UTF-8 is the best guess.
		}
	}
	return new TextDecoder().decode(bytes);
}

/** No NUL bytes in the first KiB: a good enough sign of text when no type was sent. */
function looksLikeText(bytes: Uint8Array): boolean {
	return !bytes.subarray(0, 1024).includes(0);
}

/** Frees a body we won't read (workerd keeps the connection until it is consumed or cancelled). */
async function discard(response: Response): Promise<void> {
	await response.body?.cancel().catch(() => {});
}
