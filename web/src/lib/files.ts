import { z } from "zod";
import { FileSchema, type SparkyFile } from "../../../src/protocol/index.ts";
import { type Api, ApiError } from "./api.ts";

/** The files API's answers, parsed at this boundary like events are: typed from here on. */
const PageSchema = z.object({ files: z.array(FileSchema), next_cursor: z.string().nullable() });
const OneSchema = z.object({ file: FileSchema });

export type FilePage = z.infer<typeof PageSchema>;

const enc = encodeURIComponent;

/** `/api/files` over the page's `Api`: the list, one file, its bytes, delete. */
export class FileApi {
	constructor(readonly api: Api) {}

	async list(query: { cursor?: string; limit?: number } = {}): Promise<FilePage> {
		const params = new URLSearchParams();
		if (query.limit) params.set("limit", String(query.limit));
		if (query.cursor) params.set("cursor", query.cursor);
		const search = params.toString();
		return PageSchema.parse(await this.api.request("GET", `/api/files${search ? `?${search}` : ""}`));
	}

	async get(id: string): Promise<SparkyFile> {
		return OneSchema.parse(await this.api.request("GET", `/api/files/${enc(id)}`)).file;
	}

	async remove(id: string): Promise<void> {
		await this.api.request("DELETE", `/api/files/${enc(id)}`);
	}

	/** The bytes. The route wants the Authorization header (never a cookie), so no plain `<img src>`. */
	async content(id: string, signal?: AbortSignal): Promise<Blob> {
		let res: Response;
		try {
			res = await this.api.fetchImpl(`${this.api.baseUrl}/api/files/${enc(id)}/content`, {
				headers: { Authorization: `Bearer ${this.api.token}` },
				signal,
			});
		} catch (error) {
			if (signal?.aborted) throw error;
			throw new ApiError(0, "network", "Can't reach Sparky: check your connection and that the server is running.");
		}
		if (!res.ok) {
			const json = (await res.json().catch(() => undefined)) as { error?: { code?: string; message?: string } };
			if (res.status === 401) this.api.onUnauthorized?.();
			throw new ApiError(res.status, json?.error?.code ?? "http_error", json?.error?.message ?? `HTTP ${res.status}`);
		}
		return res.blob();
	}

	/** The answer of `POST /api/files`, parsed. */
	static uploaded(json: unknown): SparkyFile {
		return OneSchema.parse(json).file;
	}
}

/** The `attachments` of a message or task body: the files' ids; nothing when there are none. */
export function attachmentIds(files: readonly { id: string }[]): { attachments?: string[] } {
	return files.length > 0 ? { attachments: files.map((f) => f.id) } : {};
}

/** Image types the page shows as thumbnails (the ones the server serves inline). */
const IMAGE_TYPES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);

export function isImage(type: string): boolean {
	return IMAGE_TYPES.has(type.split(";")[0]?.trim().toLowerCase() ?? "");
}

/** "812 B", "14 KB", "3.2 MB" (powers of 1024, as the server's MB limits are). */
export function formatBytes(bytes: number): string {
	if (!Number.isFinite(bytes) || bytes < 0) return "";
	if (bytes < 1024) return `${bytes} B`;
	const units = ["KB", "MB", "GB"];
	let value = bytes / 1024;
	let unit = 0;
	while (value >= 1024 && unit < units.length - 1) {
		value /= 1024;
		unit++;
	}
	return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** A short word for a type, for a chip: "PDF", "PNG", "text", or the subtype. */
export function typeLabel(type: string): string {
	const mime = type.split(";")[0]?.trim().toLowerCase() ?? "";
	const known: Record<string, string> = {
		"application/pdf": "PDF",
		"application/json": "JSON",
		"application/zip": "ZIP",
		"application/gzip": "gzip",
		"application/octet-stream": "binary",
		"text/plain": "text",
		"text/markdown": "Markdown",
		"text/csv": "CSV",
		"text/html": "HTML",
	};
	if (known[mime]) return known[mime];
	const [kind, sub] = mime.split("/");
	if (kind === "image" && sub) return sub.toUpperCase();
	return sub || kind || "file";
}

/**
 * Why an upload failed, in words for its chip: the server's own message says the limit it
 * hit; the status says which kind of trouble it is.
 */
export function uploadErrorText(error: unknown): string {
	if (!(error instanceof ApiError)) return error instanceof Error ? error.message : String(error);
	switch (error.status) {
		case 0:
			return "The upload was cut off: the connection dropped, or the file is over the size limit.";
		case 413:
			return `Too large: ${error.message}`;
		case 409:
			return `No room left: ${error.message}`;
		case 429:
			return "Too many uploads at once: try again in a moment.";
		default:
			return error.message;
	}
}
