import type { SparkyFile } from "../../../src/protocol/index.ts";
import { type Api, ApiError } from "./api.ts";
import { FileApi } from "./files.ts";

export interface UploadOptions {
	/** How much of the body has gone, 0 to 1. */
	onProgress?: (fraction: number) => void;
	signal?: AbortSignal;
}

/**
 * `POST /api/files?name=…` with the file as the raw body and its type as Content-Type (the
 * server sniffs the real one). XMLHttpRequest, not fetch: only it reports upload progress.
 * Errors are `ApiError`s like the rest of the API's; an abort rejects with an `AbortError`.
 */
export function uploadFile(api: Api, file: Blob, name: string, options: UploadOptions = {}): Promise<SparkyFile> {
	const { onProgress, signal } = options;
	return new Promise((resolve, reject) => {
		if (signal?.aborted) {
			reject(new DOMException("The upload was cancelled.", "AbortError"));
			return;
		}
		const xhr = new XMLHttpRequest();
		xhr.open("POST", `${api.baseUrl}/api/files?name=${encodeURIComponent(name)}`);
		xhr.setRequestHeader("Authorization", `Bearer ${api.token}`);
		xhr.setRequestHeader("Content-Type", file.type || "application/octet-stream");
		xhr.upload.onprogress = (e) => {
			if (e.lengthComputable && e.total > 0) onProgress?.(e.loaded / e.total);
		};
		xhr.onload = () => {
			const json = parseJson(xhr.responseText);
			if (xhr.status >= 200 && xhr.status < 300) {
				try {
					onProgress?.(1);
					resolve(FileApi.uploaded(json));
				} catch {
					reject(new ApiError(xhr.status, "bad_answer", "Sparky's answer to the upload was not understood."));
				}
				return;
			}
			if (xhr.status === 401) api.onUnauthorized?.();
			const error = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
			reject(new ApiError(xhr.status, error?.code ?? "http_error", error?.message ?? `HTTP ${xhr.status}`));
		};
		xhr.onerror = () =>
			reject(new ApiError(0, "network", "Can't reach Sparky: check your connection and that the server is running."));
		xhr.onabort = () => reject(new DOMException("The upload was cancelled.", "AbortError"));
		signal?.addEventListener("abort", () => xhr.abort(), { once: true });
		xhr.send(file);
	});
}

function parseJson(text: string): unknown {
	try {
		return JSON.parse(text);
	} catch {
		return undefined;
	}
}
