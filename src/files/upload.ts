/**
 * An upload, start to end: its declared size checked before a byte is read, its share of the
 * quota reserved in one conditional insert, its bytes streamed into R2 (sniffed, counted and
 * hashed on the way), then the row made ready; on any failure nothing is left (object, row,
 * reservation).
 */
import { filesConfig } from "../config.ts";
import { hubRates, spendRate } from "../deps.ts";
import { conflict, invalid, SparkyError, tooLarge, unavailable } from "../errors.ts";
import { log } from "../log.ts";
import { newId, type SparkyFile } from "../protocol/index.ts";
import { completeUpload, dropUpload, reserveUpload, toFile, usedBytes } from "../storage/files.ts";
import { openFilePart } from "./multipart.ts";
import { cleanName, defaultName } from "./names.ts";
import { deleteObjects, fileKey, putStream } from "./objects.ts";
import { SNIFF_BYTES, sniffType } from "./sniff.ts";
import { Meter, peek } from "./streams.ts";

const MIB = 1024 * 1024;
/** Room for a form's wrapping around its file (boundaries, part headers, a few small fields). */
const MULTIPART_SLACK = 64 * 1024;

export interface UploadRequest {
	body: ReadableStream<Uint8Array> | null;
	/** The form's boundary when the body is `multipart/form-data` (`multipartBoundary`); else the body is the file. */
	boundary?: string;
	/** The declared Content-Length; undefined when the body is chunked. */
	contentLength?: number;
	/** `?name=`: wins over a form's file name. */
	name?: string;
}

/** Stores an upload for `userId` and answers it as the API shows it. 413, 409 (quota), 429 (rate), 400. */
export async function uploadFile(
	env: Env,
	userId: string,
	request: UploadRequest,
	now = Date.now(),
): Promise<SparkyFile> {
	const limits = filesConfig(env);
	const overSize = () =>
		tooLarge(`a file may be at most ${limits.maxFileBytes / MIB} MB`, {
			limit: limits.maxFileBytes / MIB,
			cap: "SPARKY_MAX_FILE_MB",
		});
	const declared = request.contentLength;
	if (declared !== undefined && declared > limits.maxFileBytes + (request.boundary ? MULTIPART_SLACK : 0)) {
		// Logged: the one trace that the answer left before the body (a client may still be sending it).
		log.info("files: upload refused by its declared size", { userId, declared });
		throw overSize();
	}
	// What the upload holds of the quota until its real size is known: the declared length, or the cap.
	const reserve = Math.min(declared ?? limits.maxFileBytes, limits.maxFileBytes);
	const overQuota = (used: number) =>
		conflict(
			`this upload (up to ${mb(reserve)} MB) would pass your ${limits.quotaBytes / MIB} MB of files (${mb(used)} MB used): delete some first`,
			{ limit: limits.quotaBytes / MIB, cap: "SPARKY_FILES_QUOTA_MB" },
		);
	// Past the quota, a 409 that spends nothing; below it, the rate; the reservation checks the quota again, atomically.
	const used = await usedBytes(env.DB, userId);
	if (used + reserve > limits.quotaBytes) throw overQuota(used);
	await spendRate({ rates: hubRates(env) }, userId, "files");
	const id = newId("file", 12);
	const row = { id, user_id: userId, name: "upload", type: "application/octet-stream", size: reserve, created_at: now };
	if (!(await reserveUpload(env.DB, row, limits.quotaBytes))) throw overQuota(await usedBytes(env.DB, userId));

	const key = fileKey(userId, id);
	try {
		const stored = await store(env.FILES, key, request, limits.maxFileBytes, overSize);
		const done = await completeUpload(env.DB, id, stored);
		if (!done) throw unavailable("the upload took too long and was dropped; try again");
		return toFile(done);
	} catch (error) {
		await Promise.all([deleteObjects(env.FILES, [key]), dropUpload(env.DB, id)]).catch((cleanup: unknown) =>
			// The expiry sweep takes the row (and its object) later.
			log.warn("files: cleanup after a failed upload failed", { id, error: cleanup }),
		);
		throw error;
	}
}

const mb = (bytes: number) => (bytes / MIB).toFixed(1);

/** The file's bytes into R2 under `key`: its name, sniffed type, size and SHA-256. */
async function store(
	bucket: R2Bucket,
	key: string,
	request: UploadRequest,
	maxBytes: number,
	overSize: () => Error,
): Promise<{ name: string; type: string; size: number; sha256: string }> {
	const body = request.body ?? new Blob([]).stream();
	const part = request.boundary ? await openFilePart(body, request.boundary) : undefined;
	const source = part ? part.stream : body;
	// A raw body's length is the file's; a form's file length is known only at its end.
	const length = part ? undefined : request.contentLength;
	const { head, complete, rest } = await peek(source, SNIFF_BYTES);
	const name = cleanName(request.name ?? part?.filename);
	const type = sniffType(head, complete, name);
	const meter = new Meter(maxBytes, overSize);
	try {
		await putStream(bucket, key, rest.pipeThrough(meter.stream), { length, httpMetadata: { contentType: type } });
	} catch (error) {
		if (meter.failure) throw meter.failure;
		if (error instanceof SparkyError) throw error;
		if (length !== undefined && meter.bytes < length) {
			throw invalid(`the body ended after ${meter.bytes} of the ${length} bytes it declared`);
		}
		throw error;
	}
	return { name: name || defaultName(type), type, size: meter.bytes, sha256: await meter.sha256() };
}
