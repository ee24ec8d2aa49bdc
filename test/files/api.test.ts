// /api/files after the upload: show, list (paged, newest first), download with headers that
// never let the bytes run, delete; and a file is only ever its owner's.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { SparkyFile } from "../../src/protocol/index.ts";
import { adminToken, newUser } from "../support/api.ts";
import { call, type ErrorBody, type FileBody, objectKeysOf, PNG, sha256Hex, text, upload } from "./helpers.ts";

type Page = { files: SparkyFile[]; next_cursor: string | null };

async function uploaded(token: string, body: Uint8Array | string, name: string, contentType?: string) {
	const res = await upload(token, body, { name, contentType });
	expect(res.status).toBe(201);
	return (await res.json<FileBody>()).file;
}

describe("/api/files/:id and the list", () => {
	it("shows a file and lists the user's files newest first, a page at a time", async () => {
		const user = await newUser();
		const files: SparkyFile[] = [];
		for (const name of ["a.txt", "b.txt", "c.txt"]) files.push(await uploaded(user.token, `text of ${name}`, name));
		const [a, b, c] = files as [SparkyFile, SparkyFile, SparkyFile];
		expect(await (await call(user.token, `/api/files/${b.id}`)).json()).toEqual({ file: b });

		const first = await (await call(user.token, "/api/files?limit=2")).json<Page>();
		expect(first.files.map((f) => f.name)).toEqual(["c.txt", "b.txt"]);
		expect(first.files[0]).toEqual(c);
		expect(first.next_cursor).toEqual(expect.any(String));
		const second = await (await call(user.token, `/api/files?limit=2&cursor=${first.next_cursor}`)).json<Page>();
		expect(second).toEqual({ files: [a], next_cursor: null });

		expect((await call(user.token, "/api/files?cursor=bad!")).status).toBe(400);
		expect((await call(user.token, "/api/files?limit=0")).status).toBe(400);
		expect((await call(user.token, "/api/files/not-a-file-id")).status).toBe(400);
	});

	it("an upload in progress is not listed or shown", async () => {
		const user = await newUser();
		await env.DB.prepare(
			"INSERT INTO files (id, user_id, name, type, size, status, created_at) VALUES (?, ?, 'x', 'text/plain', 1, 'uploading', ?)",
		)
			.bind(`file_inprogress${user.id.replace(/[^A-Za-z0-9]/g, "")}`, user.id, Date.now())
			.run();
		expect((await (await call(user.token, "/api/files")).json<Page>()).files).toEqual([]);
	});
});

describe("GET /api/files/:id/content", () => {
	it("serves HTML uploaded as a PNG as an attachment of text/html: nosniff, a sandboxing CSP", async () => {
		const user = await newUser();
		const html = "<html><script>fetch('/api/me')</script></html>";
		const file = await uploaded(user.token, html, "cat.png", "image/png");
		const res = await call(user.token, `/api/files/${file.id}/content`);
		expect(res.status).toBe(200);
		expect(res.headers.get("Content-Type")).toBe("text/html; charset=utf-8");
		expect(res.headers.get("Content-Disposition")).toBe(`attachment; filename="cat.png"; filename*=UTF-8''cat.png`);
		expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
		const csp = res.headers.get("Content-Security-Policy") ?? "";
		expect(csp.split(";")[0]).toBe("sandbox");
		expect(csp).toContain("default-src 'none'");
		expect(res.headers.get("Content-Length")).toBe(String(text(html).length));
		expect(res.headers.get("ETag")).toBe(`"${await sha256Hex(text(html))}"`);
		expect(await res.text()).toBe(html);
	});

	it("serves a PNG inline, byte for byte; a copy the browser kept is answered 304", async () => {
		const user = await newUser();
		const file = await uploaded(user.token, PNG, "pixel.png");
		const res = await call(user.token, `/api/files/${file.id}/content`);
		expect(res.headers.get("Content-Type")).toBe("image/png");
		expect(res.headers.get("Content-Disposition")).toMatch(/^inline; /);
		expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
		expect(res.headers.get("Content-Security-Policy")).toMatch(/^sandbox;/);
		expect(new Uint8Array(await res.arrayBuffer())).toEqual(PNG);

		const again = await call(user.token, `/api/files/${file.id}/content`, {
			headers: { "If-None-Match": `"${file.sha256}"` },
		});
		expect(again.status).toBe(304);
		expect(await again.text()).toBe("");
	});

	it("names a download in UTF-8 with an ASCII fallback", async () => {
		const user = await newUser();
		const file = await uploaded(user.token, "x", "rapport final (été)'s %.txt");
		const res = await call(user.token, `/api/files/${file.id}/content`);
		expect(res.headers.get("Content-Disposition")).toBe(
			`attachment; filename="rapport final (_t_)'s _.txt"; filename*=UTF-8''rapport%20final%20%28%C3%A9t%C3%A9%29%27s%20%25.txt`,
		);
		await res.body?.cancel();
	});

	it("an SVG (it can script) and a PDF are attachments", async () => {
		const user = await newUser();
		for (const [body, type] of [
			['<svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>', "image/svg+xml; charset=utf-8"],
			["%PDF-1.4\n", "application/pdf"],
		] as const) {
			const file = await uploaded(user.token, body, "f");
			const res = await call(user.token, `/api/files/${file.id}/content`);
			expect(res.headers.get("Content-Type")).toBe(type);
			expect(res.headers.get("Content-Disposition")).toMatch(/^attachment; /);
			await res.body?.cancel();
		}
	});
});

describe("DELETE /api/files/:id", () => {
	it("deletes the row, the bytes and the extracted text: 204, then 404", async () => {
		const user = await newUser();
		const file = await uploaded(user.token, "bye", "bye.txt");
		await env.FILES.put(`files/${user.id}/${file.id}.txt`, "extracted");
		expect(await objectKeysOf(user.id)).toHaveLength(2);
		const res = await call(user.token, `/api/files/${file.id}`, { method: "DELETE" });
		expect(res.status).toBe(204);
		expect(await objectKeysOf(user.id)).toEqual([]);
		expect((await call(user.token, `/api/files/${file.id}`)).status).toBe(404);
		expect((await call(user.token, `/api/files/${file.id}`, { method: "DELETE" })).status).toBe(404);
	});
});

describe("isolation", () => {
	it("another user (an admin too) gets 404 for every route of someone's file, and an empty list", async () => {
		const owner = await newUser();
		const other = await newUser();
		const file = await uploaded(owner.token, PNG, "mine.png");
		for (const token of [other.token, adminToken()]) {
			for (const [path, method] of [
				[`/api/files/${file.id}`, "GET"],
				[`/api/files/${file.id}/content`, "GET"],
				[`/api/files/${file.id}`, "DELETE"],
			] as const) {
				const res = await call(token, path, { method });
				expect(res.status, `${method} ${path}`).toBe(404);
				expect((await res.json<ErrorBody>()).error.code).toBe("not_found");
			}
		}
		expect((await (await call(other.token, "/api/files")).json<Page>()).files).toEqual([]);
		// Still there for its owner.
		expect((await call(owner.token, `/api/files/${file.id}/content`)).status).toBe(200);
	});
});
