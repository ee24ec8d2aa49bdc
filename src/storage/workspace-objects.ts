/**
 * The workspace's R2 side: each version of a file is its own object, written once under a
 * fresh key and never changed, so a row in D1 always names complete bytes, whatever path
 * characters, renames or parallel writes there are. Objects no row points at are garbage
 * (workspace_garbage) and deleted here.
 */
import { newId } from "../protocol/index.ts";
import { forgetGarbage, garbageKeys } from "./workspace-rows.ts";

/** A pending object older than this was never claimed by its row (no write takes an hour). */
export const PENDING_GRACE_MS = 60 * 60 * 1000;

export const newObjectKey = (userId: string): string => `workspace/${userId}/${newId("wso")}`;

export interface Written {
	size: number;
	sha256: string;
}

const hex = (digest: ArrayBuffer): string =>
	[...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");

/** Writes bytes held in memory (a text the model wrote). */
export async function putBytes(bucket: R2Bucket, key: string, bytes: Uint8Array, type: string): Promise<Written> {
	const sha256 = hex(await crypto.subtle.digest("SHA-256", bytes));
	await bucket.put(key, bytes, { httpMetadata: { contentType: type }, sha256 });
	return { size: bytes.byteLength, sha256 };
}

/**
 * Streams `size` bytes into an object, hashing them on the way; never holds them whole. R2
 * needs the length of a stream up front: a body shorter or longer than `size` fails the put
 * (FixedLengthStream), and nothing is written.
 */
export async function putStream(
	bucket: R2Bucket,
	key: string,
	body: ReadableStream<Uint8Array>,
	size: number,
	type: string,
): Promise<Written> {
	const digest = new crypto.DigestStream("SHA-256");
	const hashing = digest.getWriter();
	const hasher = new TransformStream<Uint8Array, Uint8Array>({
		async transform(chunk, controller) {
			await hashing.write(chunk);
			controller.enqueue(chunk);
		},
		async flush() {
			await hashing.close();
		},
	});
	const fixed = new FixedLengthStream(size);
	const [put, piped] = await Promise.allSettled([
		bucket.put(key, fixed.readable, { httpMetadata: { contentType: type } }),
		body.pipeThrough(hasher).pipeTo(fixed.writable),
	]);
	// The stream's own failure says why (cut short, too long); the PUT's only that it failed.
	if (piped.status === "rejected") throw piped.reason;
	if (put.status === "rejected") throw put.reason;
	return { size, sha256: hex(await digest.digest) };
}

/**
 * Deletes objects no row points at: a user's after their own write or delete, anyone's from
 * the minute tick. Objects first, then their garbage rows: a failure in between leaves rows
 * the next call deletes again (deleting a missing object is fine).
 */
export async function collectGarbage(
	env: { DB: D1Database; FILES: R2Bucket },
	now: number,
	options: { userId?: string; limit?: number } = {},
): Promise<number> {
	const keys = await garbageKeys(env.DB, now - PENDING_GRACE_MS, options.limit ?? 100, options.userId);
	if (keys.length === 0) return 0;
	await env.FILES.delete(keys);
	await forgetGarbage(env.DB, keys);
	return keys.length;
}

/** Deletes one object this call wrote and no row took (a refused or lost write), and forgets it. */
export async function dropObject(env: { DB: D1Database; FILES: R2Bucket }, key: string): Promise<void> {
	await env.FILES.delete(key);
	await forgetGarbage(env.DB, [key]);
}
