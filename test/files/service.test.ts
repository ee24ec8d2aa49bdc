// What attachments build on (src/files/service.ts): a file row by id (404 for anyone else's),
// its bytes or a range of them, marking files attached, the extracted text kept beside the bytes,
// and deleting every object of a user.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
	attachFiles,
	deleteUserObjects,
	openFileBytes,
	ownFileRow,
	readExtractedText,
	writeExtractedText,
} from "../../src/files/service.ts";
import { uploadFile } from "../../src/files/upload.ts";
import { newUser } from "../support/api.ts";
import { fileRowsOf, objectKeysOf, text } from "./helpers.ts";

async function stored(userId: string, body: string) {
	return uploadFile(env, userId, { body: new Blob([body]).stream(), contentLength: text(body).length, name: "f.txt" });
}

describe("files service", () => {
	it("ownFileRow: the owner's row, 404 for another user", async () => {
		const owner = await newUser();
		const other = await newUser();
		const file = await stored(owner.id, "hello");
		expect(await ownFileRow(env, owner.id, file.id)).toMatchObject({ id: file.id, user_id: owner.id, status: "ready" });
		await expect(ownFileRow(env, other.id, file.id)).rejects.toMatchObject({ kind: "not_found" });
	});

	it("openFileBytes: the bytes, or a range of them", async () => {
		const user = await newUser();
		const file = await stored(user.id, "0123456789");
		const row = await ownFileRow(env, user.id, file.id);
		expect(await (await openFileBytes(env, row)).text()).toBe("0123456789");
		expect(await (await openFileBytes(env, row, { offset: 3, length: 4 })).text()).toBe("3456");
		await env.FILES.delete(`files/${user.id}/${file.id}`);
		await expect(openFileBytes(env, row)).rejects.toMatchObject({ kind: "not_found" });
	});

	it("attachFiles: marks the user's files attached once (the first time kept), 404 naming one that isn't theirs", async () => {
		const user = await newUser();
		const other = await newUser();
		const a = await stored(user.id, "a");
		const b = await stored(user.id, "b");
		const theirs = await stored(other.id, "c");
		const rows = await attachFiles(env, user.id, [b.id, a.id], 1_000);
		expect(rows.map((r) => [r.id, r.attached_at])).toEqual([
			[b.id, 1_000],
			[a.id, 1_000],
		]);
		await attachFiles(env, user.id, [a.id], 2_000);
		expect((await ownFileRow(env, user.id, a.id)).attached_at).toBe(1_000);
		await expect(attachFiles(env, user.id, [a.id, theirs.id], 3_000)).rejects.toMatchObject({
			kind: "not_found",
			message: `file ${theirs.id} not found`,
		});
		expect((await ownFileRow(env, other.id, theirs.id)).attached_at).toBeNull();
	});

	it("writeExtractedText / readExtractedText: kept beside the bytes, recorded with its meta", async () => {
		const user = await newUser();
		const file = await stored(user.id, "%PDF-ish");
		const row = await ownFileRow(env, user.id, file.id);
		expect(await readExtractedText(env, row)).toBeNull();
		await writeExtractedText(env, row, "the text of page one", { pages: 1 }, 5_000);
		expect(await readExtractedText(env, row)).toBe("the text of page one");
		expect(await ownFileRow(env, user.id, file.id)).toMatchObject({ extracted_at: 5_000, meta: '{"pages":1}' });
		expect(await objectKeysOf(user.id)).toEqual([`files/${user.id}/${file.id}`, `files/${user.id}/${file.id}.txt`]);
	});

	it("deleteUserObjects: every object of the user, no one else's", async () => {
		const user = await newUser();
		const other = await newUser();
		await stored(user.id, "one");
		await stored(user.id, "two");
		await stored(other.id, "three");
		expect(await deleteUserObjects(env, user.id)).toBe(2);
		expect(await objectKeysOf(user.id)).toEqual([]);
		expect(await objectKeysOf(other.id)).toHaveLength(1);
		expect(await fileRowsOf(other.id)).toHaveLength(1);
	});
});
