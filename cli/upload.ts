/**
 * Files from disk to `POST /api/files`: checked first (they exist, are files, at most ten to a
 * message), then each streamed from disk as it is sent (never read whole into memory) with its
 * length declared, so an over-size file is refused before it goes. A progress bar on stderr
 * (cli/progress.ts) while it goes; the SHA-256 computed on the way must equal the server's.
 */
import { createHash } from "node:crypto";
import { constants, createReadStream } from "node:fs";
import { access, stat } from "node:fs/promises";
import { basename, extname, resolve } from "node:path";
import { Readable } from "node:stream";
import { FileLimits, type SparkyFile } from "../src/protocol/index.ts";
import type { Context } from "./context.ts";
import { CliError, ExitCode, usageError } from "./errors.ts";
import { formatBytes, progressBar } from "./progress.ts";
import { stallWatch } from "./stall.ts";

/** A file on disk, checked and ready to go. */
export interface LocalFile {
	path: string;
	/** What the server is told it is called (`?name=`): the last part of the path. */
	name: string;
	size: number;
	type: string;
}

/** No byte read and no answer for this long: the upload has stalled. */
const STALL_MS = 60_000;

/**
 * Checks `paths` before anything is sent: each one a readable regular file, none twice, and (for
 * attachments, `limit`) not more than a message carries. `flag` names the option in errors.
 */
export async function localFiles(paths: readonly string[], flag: string, limit?: number): Promise<LocalFile[]> {
	if (limit !== undefined && paths.length > limit) {
		throw usageError(`${flag}: at most ${limit} files to a message (got ${paths.length})`);
	}
	const seen = new Set<string>();
	const files: LocalFile[] = [];
	for (const path of paths) {
		const full = resolve(path);
		if (seen.has(full)) throw usageError(`${flag}: ${path} is listed twice`);
		seen.add(full);
		const info = await stat(full).catch((error: NodeJS.ErrnoException) => {
			throw usageError(`${flag}: cannot read ${path}: ${error.code === "ENOENT" ? "no such file" : error.message}`);
		});
		if (!info.isFile()) throw usageError(`${flag}: ${path} is not a file`);
		await access(full, constants.R_OK).catch(() => {
			throw usageError(`${flag}: cannot read ${path}: permission denied`);
		});
		files.push({ path: full, name: basename(full), size: info.size, type: guessType(full) });
	}
	return files;
}

/** `--attach` paths: checked, then uploaded one by one (each said on stderr); none is left behind if one fails. */
export async function uploadAttachments(ctx: Context, paths: readonly string[]): Promise<SparkyFile[]> {
	if (paths.length === 0) return [];
	const files = await localFiles(paths, "--attach", FileLimits.attachmentsPerMessage);
	return uploadAll(ctx, files, (sent) => ctx.out.note(ctx.out.ce.dim(`↑ ${describeUpload(sent)}`)));
}

/** Uploads `files` in order; if one fails, the ones already sent are deleted again. */
export async function uploadAll(
	ctx: Context,
	files: readonly LocalFile[],
	onUploaded?: (file: SparkyFile) => void,
	signal?: AbortSignal,
): Promise<SparkyFile[]> {
	const uploaded: SparkyFile[] = [];
	try {
		for (const file of files) {
			const sent = await uploadFile(ctx, file, signal);
			uploaded.push(sent);
			onUploaded?.(sent);
		}
		return uploaded;
	} catch (error) {
		await discardUploads(ctx, uploaded);
		throw error;
	}
}

/** One file, streamed from disk; its SHA-256 checked against the server's. `signal` stops it. */
export async function uploadFile(ctx: Context, file: LocalFile, signal?: AbortSignal): Promise<SparkyFile> {
	const progress = progressBar(ctx.out, file.name, file.size);
	const hash = createHash("sha256");
	const stall = stallWatch(STALL_MS, `cannot upload ${file.name}: no progress for ${STALL_MS / 1000} s`);
	// `end` holds the stream to the length declared, should the file grow meanwhile.
	const disk = createReadStream(file.path, file.size > 0 ? { end: file.size - 1 } : {});
	const counted = (Readable.toWeb(disk) as ReadableStream<Uint8Array>).pipeThrough(
		new TransformStream<Uint8Array, Uint8Array>({
			transform(chunk, controller) {
				hash.update(chunk);
				progress.advance(chunk.byteLength);
				stall.alive();
				controller.enqueue(chunk);
			},
		}),
	);
	try {
		const { data } = await ctx
			.api()
			.uploadFile(
				file.name,
				{ stream: counted, type: file.type, length: file.size },
				signal ? AbortSignal.any([stall.signal, signal]) : stall.signal,
			);
		const sent = data.file;
		if (sent.sha256 !== hash.digest("hex")) {
			await discardUploads(ctx, [sent]);
			throw new CliError(
				`${file.name} arrived different from what was sent (its SHA-256 does not match); nothing was kept`,
				ExitCode.error,
				"upload_damaged",
			);
		}
		return sent;
	} catch (error) {
		throw withFileName(error, file);
	} finally {
		stall.stop();
		progress.stop();
		disk.destroy();
	}
}

/** `report.pdf (1.2 MiB, application/pdf) as file_…`. */
export function describeUpload(file: SparkyFile): string {
	return `${file.name} (${formatBytes(file.size)}, ${file.type}) as ${file.id}`;
}

/** Deletes uploads nothing will use (a failed send, a refused task); best effort: they expire anyway. */
export async function discardUploads(ctx: Context, files: readonly SparkyFile[]): Promise<void> {
	await Promise.all(
		files.map((f) =>
			ctx
				.api()
				.deleteFile(f.id)
				.catch(() => {}),
		),
	);
}

/** `cannot upload big.pdf (26.0 MiB): <the server's words>`, same exit code and details. */
function withFileName(error: unknown, file: LocalFile): unknown {
	if (!(error instanceof CliError) || error.message.startsWith(`cannot upload ${file.name}`)) return error;
	if (["upload_damaged", "unreachable", "interrupted"].includes(error.code)) return error;
	return new CliError(
		`cannot upload ${file.name} (${formatBytes(file.size)}): ${error.message}`,
		error.exitCode,
		error.code,
		error.details,
		error.hint,
	);
}

/** What a file is, by its extension: only a hint, the server sniffs the bytes. */
export function guessType(path: string): string {
	return TYPES[extname(path).slice(1).toLowerCase()] ?? "application/octet-stream";
}

const TYPES: Record<string, string> = {
	txt: "text/plain; charset=utf-8",
	log: "text/plain; charset=utf-8",
	md: "text/markdown; charset=utf-8",
	markdown: "text/markdown; charset=utf-8",
	csv: "text/csv; charset=utf-8",
	tsv: "text/tab-separated-values; charset=utf-8",
	json: "application/json",
	jsonl: "application/x-ndjson",
	ndjson: "application/x-ndjson",
	html: "text/html; charset=utf-8",
	htm: "text/html; charset=utf-8",
	xml: "application/xml",
	yaml: "application/yaml",
	yml: "application/yaml",
	css: "text/css; charset=utf-8",
	js: "text/javascript; charset=utf-8",
	mjs: "text/javascript; charset=utf-8",
	ts: "text/plain; charset=utf-8",
	py: "text/x-python; charset=utf-8",
	sh: "text/x-shellscript; charset=utf-8",
	pdf: "application/pdf",
	png: "image/png",
	jpg: "image/jpeg",
	jpeg: "image/jpeg",
	gif: "image/gif",
	webp: "image/webp",
	svg: "image/svg+xml",
	zip: "application/zip",
	gz: "application/gzip",
	tar: "application/x-tar",
	mp3: "audio/mpeg",
	wav: "audio/wav",
	mp4: "video/mp4",
	webm: "video/webm",
	docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	pptx: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
};
