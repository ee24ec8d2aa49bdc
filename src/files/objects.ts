/**
 * A file's objects in R2 (`FILES`): its bytes at `files/<user_id>/<file_id>`, its extracted
 * text beside them at `…/<file_id>.txt`. Writes stream: a known length goes through a
 * FixedLengthStream in one PUT; an unknown one in parts of PART_BYTES (R2's multipart upload:
 * every part but the last the same size, at least 5 MiB), so at most one part is in memory.
 */

/** R2's smallest multipart part (all but the last must be this size). */
export const PART_BYTES = 5 * 1024 * 1024;

export const fileKey = (userId: string, fileId: string): string => `files/${userId}/${fileId}`;
export const textKey = (userId: string, fileId: string): string => `${fileKey(userId, fileId)}.txt`;

export interface PutOptions {
	/** The exact length, when the request declared it; unknown: a multipart upload (or one PUT when short). */
	length?: number;
	httpMetadata: R2HTTPMetadata;
}

/** Writes `stream` to `key`; on failure nothing is left behind (a started multipart upload is aborted). */
export async function putStream(
	bucket: R2Bucket,
	key: string,
	stream: ReadableStream<Uint8Array>,
	options: PutOptions,
): Promise<void> {
	if (options.length !== undefined) {
		const fixed = new FixedLengthStream(options.length);
		const [put, piped] = await Promise.allSettled([
			bucket.put(key, fixed.readable, { httpMetadata: options.httpMetadata }),
			stream.pipeTo(fixed.writable),
		]);
		// The stream's own failure says why (over the cap, cut short); the PUT's only that it failed.
		if (piped.status === "rejected") throw piped.reason;
		if (put.status === "rejected") throw put.reason;
		return;
	}
	await putInParts(bucket, key, stream, options.httpMetadata);
}

async function putInParts(
	bucket: R2Bucket,
	key: string,
	stream: ReadableStream<Uint8Array>,
	httpMetadata: R2HTTPMetadata,
): Promise<void> {
	const reader = new PartReader(stream.getReader());
	let upload: R2MultipartUpload | undefined;
	const parts: R2UploadedPart[] = [];
	try {
		for (;;) {
			const { part, ended } = await reader.next();
			if (ended && !upload) {
				// Shorter than one part: a plain PUT, no multipart upload at all.
				await bucket.put(key, part, { httpMetadata });
				return;
			}
			upload ??= await bucket.createMultipartUpload(key, { httpMetadata });
			if (part.length > 0) parts.push(await upload.uploadPart(parts.length + 1, part));
			if (ended) {
				await upload.complete(parts);
				return;
			}
		}
	} catch (error) {
		await reader.cancel(error);
		await upload?.abort().catch(() => {});
		throw error;
	}
}

/** A stream cut into parts of PART_BYTES, each in a buffer of its own (R2 may hold it while it sends). */
class PartReader {
	/** Bytes read past the end of the last part: the start of the next. */
	#pending: Uint8Array | undefined;
	constructor(private readonly reader: ReadableStreamDefaultReader<Uint8Array>) {}

	async next(): Promise<{ part: Uint8Array; ended: boolean }> {
		const buffer = new Uint8Array(PART_BYTES);
		let filled = 0;
		for (;;) {
			const chunk = this.#pending ?? (await this.#read());
			this.#pending = undefined;
			if (chunk === undefined) return { part: buffer.subarray(0, filled), ended: true };
			const room = PART_BYTES - filled;
			if (chunk.length >= room) {
				buffer.set(chunk.subarray(0, room), filled);
				if (chunk.length > room) this.#pending = chunk.subarray(room);
				return { part: buffer, ended: false };
			}
			buffer.set(chunk, filled);
			filled += chunk.length;
		}
	}

	async #read(): Promise<Uint8Array | undefined> {
		const { done, value } = await this.reader.read();
		return done ? undefined : value;
	}

	cancel(reason: unknown): Promise<void> {
		return this.reader.cancel(reason).catch(() => {});
	}
}

/** Opens a file's bytes (a range of them, when given); null when the object is missing. */
export function openObject(bucket: R2Bucket, key: string, range?: R2Range): Promise<R2ObjectBody | null> {
	return bucket.get(key, range ? { range } : undefined);
}

/** Deletes objects; keys that don't exist are no error. R2 takes up to 1,000 keys a call. */
export async function deleteObjects(bucket: R2Bucket, keys: string[]): Promise<void> {
	for (let i = 0; i < keys.length; i += 1000) await bucket.delete(keys.slice(i, i + 1000));
}
