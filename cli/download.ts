/**
 * `GET /api/files/:id/content` to a file or to stdout, streamed as it arrives (never held whole),
 * with a progress bar on stderr and the SHA-256 checked against the file's on the way. A file
 * is written beside its destination first and renamed once whole and checked, so an
 * interrupted or damaged download never leaves a file that looks complete.
 */
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { SparkyFile } from "../src/protocol/index.ts";
import type { Context } from "./context.ts";
import { CliError, ExitCode } from "./errors.ts";
import { progressBar } from "./progress.ts";
import { stallWatch } from "./stall.ts";

/** No byte for this long: the download has stalled. */
const STALL_MS = 60_000;

/** Writes `file`'s bytes to `destination` (a path, or stdout); resolves once they are all there and checked. */
export async function downloadFile(ctx: Context, file: SparkyFile, destination: string | "stdout"): Promise<void> {
	const api = ctx.api();
	const stall = stallWatch(STALL_MS, `cannot download ${file.id}: no data for ${STALL_MS / 1000} s`);
	const response = await api.fetch("GET", `/api/files/${encodeURIComponent(file.id)}/content`, {
		headers: { Accept: "*/*" },
		timeoutMs: 0,
		signal: stall.signal,
	});
	if (!response.ok || !response.body) {
		stall.stop();
		const text = await response.text();
		throw api.apiError(response, parseJson(text), text);
	}
	const hash = createHash("sha256");
	const progress = progressBar(ctx.out, file.name, file.size);
	const tap = new Transform({
		transform(chunk: Buffer, _encoding, callback) {
			hash.update(chunk);
			progress.advance(chunk.byteLength);
			stall.alive();
			callback(null, chunk);
		},
	});
	const part = destination === "stdout" ? undefined : `${destination}.part-${process.pid}`;
	try {
		await pipeline(
			Readable.fromWeb(response.body as import("node:stream/web").ReadableStream<Uint8Array>),
			tap,
			part ? createWriteStream(part, { flags: "wx", mode: 0o644 }) : process.stdout,
			{ end: part !== undefined },
		);
		if (hash.digest("hex") !== file.sha256) {
			throw new CliError(
				`${file.id} arrived different from what the server keeps (its SHA-256 does not match)${part ? "; nothing was saved" : ""}`,
				ExitCode.error,
				"download_damaged",
			);
		}
		if (part) await rename(part, destination);
	} catch (error) {
		if (part) await rm(part, { force: true });
		if (error instanceof CliError) throw error;
		// The reader of stdout went away (`| head`): what it wanted, it got.
		if ((error as NodeJS.ErrnoException).code === "EPIPE") return;
		if (stall.signal.aborted) throw stall.signal.reason;
		throw new CliError(
			`cannot download ${file.id}: ${(error as Error).message}`,
			ExitCode.error,
			(error as NodeJS.ErrnoException).code === undefined ? "download_failed" : "file_error",
		);
	} finally {
		stall.stop();
		progress.stop();
	}
}

function parseJson(text: string): unknown {
	try {
		return JSON.parse(text);
	} catch {
		return undefined;
	}
}
