import { env, exports } from "cloudflare:workers";
import type { SparkyFile } from "../../src/protocol/index.ts";
import { BASE } from "../support/api.ts";

export type FileBody = { file: SparkyFile };
export type ErrorBody = { error: { code: string; message: string; details?: Record<string, unknown> } };

export interface UploadOptions {
	name?: string;
	contentType?: string;
	headers?: Record<string, string>;
}

/** POST /api/files with a raw body (bytes: Content-Length is set; a stream: chunked). */
export function upload(
	token: string,
	body: Uint8Array | string | ReadableStream<Uint8Array>,
	options: UploadOptions = {},
): Promise<Response> {
	const query = options.name === undefined ? "" : `?name=${encodeURIComponent(options.name)}`;
	const headers = new Headers(options.headers);
	headers.set("Authorization", `Bearer ${token}`);
	if (options.contentType) headers.set("Content-Type", options.contentType);
	return exports.default.fetch(`${BASE}/api/files${query}`, { method: "POST", headers, body });
}

export function call(token: string, path: string, init: RequestInit = {}): Promise<Response> {
	const headers = new Headers(init.headers);
	headers.set("Authorization", `Bearer ${token}`);
	return exports.default.fetch(`${BASE}${path}`, { ...init, headers });
}

export const text = (s: string) => new TextEncoder().encode(s);

/** A PNG signature and an IHDR chunk (1×1): enough to be sniffed as one. */
export const PNG = new Uint8Array([
	0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0,
	0, 0, 0x90, 0x77, 0x53, 0xde,
]);

/** Bytes that differ everywhere (so a misplaced chunk shows), `n` long, from `seed`. */
export function noise(n: number, seed = 1): Uint8Array {
	const out = new Uint8Array(n);
	let x = seed >>> 0 || 1;
	for (let i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >>> 17;
		x ^= x << 5;
		out[i] = x & 0xff;
	}
	return out;
}

/** A stream of `bytes` in chunks of `size` (no length known to the receiver: chunked), counting what was pulled. */
export function chunked(
	bytes: Uint8Array,
	size = 64 * 1024,
): { stream: ReadableStream<Uint8Array>; pulled: () => number } {
	let at = 0;
	const stream = new ReadableStream<Uint8Array>(
		{
			pull(controller) {
				if (at >= bytes.length) {
					controller.close();
					return;
				}
				const end = Math.min(at + size, bytes.length);
				controller.enqueue(bytes.slice(at, end));
				at = end;
			},
		},
		{ highWaterMark: 0 },
	);
	return { stream, pulled: () => at };
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
	const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
	return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

export interface FormPart {
	headers: string[];
	body: Uint8Array | string;
}

/** A multipart/form-data body of `parts`, and its Content-Type. */
export function form(
	parts: FormPart[],
	boundary = "----sparkyTestBoundary7MA4YWxk",
): { body: Uint8Array; type: string } {
	const chunks: Uint8Array[] = [];
	for (const part of parts) {
		chunks.push(text(`--${boundary}\r\n${part.headers.join("\r\n")}\r\n\r\n`));
		chunks.push(typeof part.body === "string" ? text(part.body) : part.body);
		chunks.push(text("\r\n"));
	}
	chunks.push(text(`--${boundary}--\r\n`));
	const body = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
	let at = 0;
	for (const c of chunks) {
		body.set(c, at);
		at += c.length;
	}
	return { body, type: `multipart/form-data; boundary=${boundary}` };
}

/** A form with one file part. */
export function fileForm(filename: string, bytes: Uint8Array | string, type = "application/octet-stream") {
	return form([
		{
			headers: [`Content-Disposition: form-data; name="file"; filename="${filename}"`, `Content-Type: ${type}`],
			body: bytes,
		},
	]);
}

/** Every row of a user's files, whatever their status (straight from D1). */
export async function fileRowsOf(userId: string) {
	const { results } = await env.DB.prepare("SELECT id, status, size, attached_at FROM files WHERE user_id = ?")
		.bind(userId)
		.all<{ id: string; status: string; size: number; attached_at: number | null }>();
	return results;
}

/** Keys of a user's objects in R2. */
export async function objectKeysOf(userId: string): Promise<string[]> {
	const listed = await env.FILES.list({ prefix: `files/${userId}/` });
	return listed.objects.map((o) => o.key).sort();
}

export async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
	return new Uint8Array(await new Response(stream).arrayBuffer());
}
