// POST /api/files against real R2 and D1: raw and multipart bodies streamed into R2, hashed and
// counted on the way; 413 before the body is read (declared) and as soon as it passes the cap
// (counted); the quota held atomically under parallel uploads; nothing left after a failure.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { SparkyError } from "../../src/errors.ts";
import { uploadFile } from "../../src/files/upload.ts";
import { newUser } from "../support/api.ts";
import {
	chunked,
	type ErrorBody,
	type FileBody,
	fileForm,
	fileRowsOf,
	form,
	noise,
	objectKeysOf,
	PNG,
	readAll,
	sha256Hex,
	text,
	upload,
} from "./helpers.ts";

const MIB = 1024 * 1024;

async function storedBytes(userId: string, fileId: string): Promise<Uint8Array> {
	const object = await env.FILES.get(`files/${userId}/${fileId}`);
	if (!object) throw new Error("no object");
	return readAll(object.body);
}

describe("POST /api/files", () => {
	it("stores a raw body: 201 with the file, its bytes in R2, hashed and sized", async () => {
		const user = await newUser();
		const res = await upload(user.token, PNG, { name: "pixel.png", contentType: "image/png" });
		expect(res.status).toBe(201);
		const { file } = await res.json<FileBody>();
		expect(file).toEqual({
			id: expect.stringMatching(/^file_[A-Za-z0-9_-]+$/),
			name: "pixel.png",
			type: "image/png",
			size: PNG.length,
			sha256: await sha256Hex(PNG),
			created_at: expect.any(Number),
			attached: false,
		});
		expect(await storedBytes(user.id, file.id)).toEqual(PNG);
		const object = await env.FILES.head(`files/${user.id}/${file.id}`);
		expect(object?.httpMetadata?.contentType).toBe("image/png");
		expect(await fileRowsOf(user.id)).toEqual([{ id: file.id, status: "ready", size: PNG.length, attached_at: null }]);
	});

	it("streams a chunked raw body of several R2 parts (no Content-Length) byte for byte", async () => {
		const user = await newUser();
		// 11 MiB + a bit: three parts of a multipart upload (5 MiB, 5 MiB, the rest), odd chunk sizes.
		const bytes = noise(11 * MIB + 12_345, 7);
		const { stream } = chunked(bytes, 300_001);
		const res = await upload(user.token, stream, { name: "noise.bin" });
		expect(res.status).toBe(201);
		const { file } = await res.json<FileBody>();
		expect(file).toMatchObject({
			size: bytes.length,
			type: "application/octet-stream",
			sha256: await sha256Hex(bytes),
		});
		const stored = await storedBytes(user.id, file.id);
		expect(stored.length).toBe(bytes.length);
		expect(await sha256Hex(stored)).toBe(file.sha256);
	});

	it("takes the file part of a multipart form, skipping fields before it, name from the part", async () => {
		const user = await newUser();
		// A body that looks like a boundary's start but isn't one, across the part.
		const content = "# Notes\r\n--not-the-boundary\r\n\r\n----sparkyTestBoundary7MA4YWx (almost)\r\n";
		const body = form([
			{ headers: ['Content-Disposition: form-data; name="comment"'], body: "a field before the file" },
			{
				headers: ['Content-Disposition: form-data; name="upload"; filename="notes.md"', "Content-Type: image/png"],
				body: content,
			},
			{ headers: ['Content-Disposition: form-data; name="after"'], body: "never read" },
		]);
		const res = await upload(user.token, body.body, { contentType: body.type });
		expect(res.status).toBe(201);
		const { file } = await res.json<FileBody>();
		expect(file).toMatchObject({ name: "notes.md", type: "text/markdown", size: text(content).length });
		expect(new TextDecoder().decode(await storedBytes(user.id, file.id))).toBe(content);
	});

	it("streams a large multipart file (several R2 parts) in odd chunks, byte for byte", async () => {
		const user = await newUser();
		const bytes = noise(6 * MIB + 777, 3);
		const body = fileForm("big.bin", bytes);
		const { stream } = chunked(body.body, 65_537);
		const res = await upload(user.token, stream, { contentType: body.type });
		expect(res.status).toBe(201);
		const { file } = await res.json<FileBody>();
		expect(file).toMatchObject({ name: "big.bin", size: bytes.length, sha256: await sha256Hex(bytes) });
		expect(await sha256Hex(await storedBytes(user.id, file.id))).toBe(file.sha256);
	});

	it("?name= wins over the form's file name; both are cleaned", async () => {
		const user = await newUser();
		const body = fileForm("ignored.txt", "hello");
		const res = await upload(user.token, body.body, { contentType: body.type, name: "../../etc/passwd" });
		expect((await res.json<FileBody>()).file.name).toBe("etc_passwd");
	});

	it("a form without a file part, or cut inside it, is a 400 and leaves nothing", async () => {
		const user = await newUser();
		const fieldsOnly = form([{ headers: ['Content-Disposition: form-data; name="a"'], body: "b" }]);
		const none = await upload(user.token, fieldsOnly.body, { contentType: fieldsOnly.type });
		expect(none.status).toBe(400);
		expect((await none.json<ErrorBody>()).error.message).toMatch(/no file part/);

		const whole = fileForm("cut.txt", "x".repeat(10_000));
		const cut = await upload(user.token, whole.body.slice(0, 5_000), { contentType: whole.type });
		expect(cut.status).toBe(400);
		expect((await cut.json<ErrorBody>()).error.message).toMatch(/ended inside the file/);

		const noBoundary = await upload(user.token, "x", { contentType: "multipart/form-data" });
		expect(noBoundary.status).toBe(400);
		expect(await fileRowsOf(user.id)).toEqual([]);
		expect(await objectKeysOf(user.id)).toEqual([]);
	});

	it("413 for a declared length over SPARKY_MAX_FILE_MB before a byte of the body is read", async () => {
		const user = await newUser();
		const { stream, pulled } = chunked(noise(64 * 1024), 1024);
		const err = await uploadFile(env, user.id, { body: stream, contentLength: 25 * MIB + 1 }).catch((e) => e);
		expect(err).toBeInstanceOf(SparkyError);
		expect(err).toMatchObject({ kind: "too_large", details: { limit: 25, cap: "SPARKY_MAX_FILE_MB" } });
		expect(pulled()).toBe(0);
		expect(await fileRowsOf(user.id)).toEqual([]);

		// The same through HTTP: the request says 26 MiB and is refused with nothing read.
		const res = await upload(user.token, new Uint8Array(26 * MIB));
		expect(res.status).toBe(413);
		const body = await res.json<ErrorBody>();
		expect(body.error).toMatchObject({ code: "payload_too_large", details: { limit: 25, cap: "SPARKY_MAX_FILE_MB" } });
	});

	it("413 as soon as a chunked body passes the cap: the upload is aborted, nothing kept, the quota released", async () => {
		const user = await newUser();
		const bytes = noise(25 * MIB + 10, 5);
		const { stream, pulled } = chunked(bytes, 256 * 1024);
		const res = await upload(user.token, stream, { name: "too-big.bin" });
		expect(res.status).toBe(413);
		expect((await res.json<ErrorBody>()).error.details).toEqual({ limit: 25, cap: "SPARKY_MAX_FILE_MB" });
		// It stopped at the cap: not a chunk past the one that crossed it.
		expect(pulled()).toBeLessThanOrEqual(25 * MIB + 256 * 1024);
		expect(await fileRowsOf(user.id)).toEqual([]);
		expect(await objectKeysOf(user.id)).toEqual([]);
		// Nothing held of the quota: a full-size upload goes through next.
		const next = await upload(user.token, noise(1000), { name: "after.bin" });
		expect(next.status).toBe(201);
	});

	it("413 for a form whose file passes the cap (counted, the form's length unknown)", async () => {
		const user = await newUser();
		const small = { ...env, SPARKY_MAX_FILE_MB: "1" } as Env;
		const body = fileForm("big.bin", noise(MIB + 1));
		const { stream } = chunked(body.body, 100_000);
		const err = await uploadFile(small, user.id, { body: stream, boundary: body.type.split("boundary=")[1] }).catch(
			(e) => e,
		);
		expect(err).toMatchObject({ kind: "too_large", details: { limit: 1, cap: "SPARKY_MAX_FILE_MB" } });
		expect(await fileRowsOf(user.id)).toEqual([]);
		expect(await objectKeysOf(user.id)).toEqual([]);
	});

	it("holds the quota under 20 parallel uploads: exactly what fits is stored, the rest 409", async () => {
		const user = await newUser();
		const quota = { ...env, SPARKY_FILES_QUOTA_MB: "5" } as Env;
		const results = await Promise.allSettled(
			Array.from({ length: 20 }, (_, i) => {
				const bytes = noise(MIB, i + 1);
				return uploadFile(quota, user.id, { body: new Blob([bytes]).stream(), contentLength: MIB, name: `${i}.bin` });
			}),
		);
		const stored = results.filter((r) => r.status === "fulfilled");
		const refused = results.flatMap((r) => (r.status === "rejected" ? [r.reason] : []));
		expect(stored).toHaveLength(5);
		expect(refused).toHaveLength(15);
		for (const reason of refused) {
			expect(reason).toMatchObject({ kind: "conflict", details: { limit: 5, cap: "SPARKY_FILES_QUOTA_MB" } });
		}
		const rows = await fileRowsOf(user.id);
		expect(rows.every((r) => r.status === "ready")).toBe(true);
		expect(rows.reduce((n, r) => n + r.size, 0)).toBe(5 * MIB);
		expect(await objectKeysOf(user.id)).toHaveLength(5);
	});

	it("a chunked upload holds the whole cap of the quota while it runs (its size is unknown)", async () => {
		const user = await newUser();
		const quota = { ...env, SPARKY_FILES_QUOTA_MB: "30", SPARKY_MAX_FILE_MB: "20" } as Env;
		const first = await uploadFile(quota, user.id, {
			body: new Blob([noise(11 * MIB)]).stream(),
			contentLength: 11 * MIB,
		});
		expect(first.size).toBe(11 * MIB);
		// 11 MiB used + 20 MiB held for a body of unknown length > 30 MiB.
		const err = await uploadFile(quota, user.id, { body: chunked(noise(10)).stream }).catch((e) => e);
		expect(err).toMatchObject({ kind: "conflict" });
		// Declared, it fits.
		const declared = await uploadFile(quota, user.id, { body: new Blob([noise(10)]).stream(), contentLength: 10 });
		expect(declared.size).toBe(10);
	});

	it("spends the files rate: 429 with Retry-After past the burst", async () => {
		const user = await newUser();
		const statuses: number[] = [];
		let retryAfter: string | null = null;
		// The burst is 30, refilled at 60 a minute (one a second): past the burst the next upload
		// is refused, whatever refilled while the uploads ran (a slow machine's take seconds).
		const started = Date.now();
		for (let i = 0; i < 45 && !statuses.includes(429); i++) {
			const res = await upload(user.token, `note ${i}`, { name: `${i}.txt` });
			statuses.push(res.status);
			if (res.status === 429) retryAfter = res.headers.get("Retry-After");
			await res.body?.cancel();
		}
		const refilled = Math.ceil((Date.now() - started) / 1000);
		const accepted = statuses.filter((status) => status === 201).length;
		expect(statuses.at(-1)).toBe(429);
		expect(statuses.slice(0, -1).every((status) => status === 201)).toBe(true);
		expect(accepted).toBeGreaterThanOrEqual(30);
		expect(accepted).toBeLessThanOrEqual(30 + refilled);
		expect(Number(retryAfter)).toBeGreaterThan(0);
	});

	it("needs a token", async () => {
		const res = await upload("nope", "x");
		expect(res.status).toBe(401);
	});
});
