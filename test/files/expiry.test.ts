// The minute tick deletes uploads attached to nothing after SPARKY_UPLOAD_TTL_HOURS and uploads
// stuck in 'uploading' for an hour (rows and R2 objects), a bounded number per tick; attached
// files stay. Files are made in the past (uploadFile's `now`), so the sweep runs at the real
// time and never reaches another test file's fresh uploads.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { STUCK_UPLOAD_MS, sweepExpiredFiles } from "../../src/files/expiry.ts";
import { attachFiles } from "../../src/files/service.ts";
import { uploadFile } from "../../src/files/upload.ts";
import { tick } from "../../src/scheduled.ts";
import { newUser } from "../support/api.ts";
import { call, fileRowsOf, objectKeysOf } from "./helpers.ts";

const HOUR = 3_600_000;
const TTL = 24 * HOUR;

async function uploadAt(userId: string, at: number, body = "some text") {
	return uploadFile(env, userId, { body: new Blob([body]).stream(), contentLength: body.length, name: "n.txt" }, at);
}

describe("expiry", () => {
	it("the tick deletes an unattached upload past the TTL, rows and objects; an attached or young one stays", async () => {
		const user = await newUser();
		const now = Date.now();
		const old = await uploadAt(user.id, now - TTL - 60_000);
		const oldAttached = await uploadAt(user.id, now - TTL - 60_000);
		const young = await uploadAt(user.id, now - TTL + 60 * 60_000);
		await attachFiles(env, user.id, [oldAttached.id], now - TTL);
		await env.FILES.put(`files/${user.id}/${old.id}.txt`, "extracted");

		await tick(env, now);

		expect((await fileRowsOf(user.id)).map((r) => r.id).sort()).toEqual([oldAttached.id, young.id].sort());
		expect(await objectKeysOf(user.id)).toEqual(
			[`files/${user.id}/${oldAttached.id}`, `files/${user.id}/${young.id}`].sort(),
		);
		expect((await call(user.token, `/api/files/${old.id}`)).status).toBe(404);
	});

	it("deletes an upload stuck in 'uploading' for over an hour, and its bytes", async () => {
		const user = await newUser();
		const now = Date.now();
		const insert = (id: string, at: number) =>
			env.DB.prepare(
				"INSERT INTO files (id, user_id, name, type, size, status, created_at) VALUES (?, ?, 'x', 'text/plain', 5, 'uploading', ?)",
			)
				.bind(id, user.id, at)
				.run();
		const stuck = `file_stuck${crypto.randomUUID().slice(0, 8)}`;
		const running = `file_running${crypto.randomUUID().slice(0, 8)}`;
		await insert(stuck, now - STUCK_UPLOAD_MS - 1000);
		await insert(running, now - STUCK_UPLOAD_MS + 60_000);
		await env.FILES.put(`files/${user.id}/${stuck}`, "part of it");

		expect(await sweepExpiredFiles(env, now)).toBeGreaterThanOrEqual(1);
		expect((await fileRowsOf(user.id)).map((r) => r.id)).toEqual([running]);
		expect(await objectKeysOf(user.id)).toEqual([]);
	});

	it("takes at most `limit` a sweep, oldest first; the next sweep takes the rest", async () => {
		const user = await newUser();
		// Older than anything another test leaves, so this sweep's oldest are these.
		const long = Date.now() - 400 * 24 * HOUR;
		const files = [];
		for (let i = 0; i < 3; i++) files.push(await uploadAt(user.id, long + i));
		expect(await sweepExpiredFiles(env, Date.now(), 2)).toBe(2);
		expect((await fileRowsOf(user.id)).map((r) => r.id)).toEqual([files[2]?.id]);
		await sweepExpiredFiles(env, Date.now());
		expect(await fileRowsOf(user.id)).toEqual([]);
		expect(await objectKeysOf(user.id)).toEqual([]);
	});

	it("a user's rows go with the user (ON DELETE CASCADE)", async () => {
		const user = await newUser();
		await uploadAt(user.id, Date.now());
		await env.DB.prepare("DELETE FROM users WHERE id = ?").bind(user.id).run();
		expect(await fileRowsOf(user.id)).toEqual([]);
	});
});
