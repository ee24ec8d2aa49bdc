// A file's type comes from its bytes (signatures, then what UTF-8 text looks like), and its
// name only tells text apart; the client's Content-Type is never asked.
import { describe, expect, it } from "vitest";
import { isSafeImage, SNIFF_BYTES, sniffType } from "../../src/files/sniff.ts";
import { newUser } from "../support/api.ts";
import { type FileBody, fileForm, noise, PNG, text, upload } from "./helpers.ts";

const bytes = (...values: number[]) => new Uint8Array(values);

describe("sniffType", () => {
	it.each([
		["image/png", PNG],
		["image/jpeg", bytes(0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46)],
		["image/gif", text("GIF89a\x01\x00\x01\x00")],
		["image/gif", text("GIF87a\x01\x00\x01\x00")],
		["image/webp", text("RIFF\x24\x00\x00\x00WEBPVP8 ")],
		["application/pdf", text("%PDF-1.7\n%âãÏÓ\n")],
		["application/zip", bytes(0x50, 0x4b, 0x03, 0x04, 20, 0)],
		["application/zip", bytes(0x50, 0x4b, 0x05, 0x06, 0, 0)],
		["application/gzip", bytes(0x1f, 0x8b, 8, 0)],
		["application/octet-stream", noise(2000, 9)],
		["application/octet-stream", bytes(0x41, 0x00, 0x42)],
	])("%s from its bytes", (type, head) => {
		expect(sniffType(head, true, "whatever.txt")).toBe(type);
	});

	it("a signature wins over a name; RIFF that isn't WebP is not an image", () => {
		expect(sniffType(PNG, true, "notes.md")).toBe("image/png");
		expect(sniffType(text("RIFF\x24\x00\x00\x00WAVEfmt "), true, "a.webp")).not.toBe("image/webp");
	});

	it("tells text apart by content", () => {
		const t = (s: string, name = "") => sniffType(text(s), true, name);
		expect(t("<!DOCTYPE html><html><body>hi</body></html>")).toBe("text/html");
		expect(t("\ufeff  \n<html>")).toBe("text/html");
		expect(t("<script>alert(1)</script>")).toBe("text/html");
		expect(t("<p>para</p>")).toBe("text/html");
		expect(t("<pre>not in the list</pre>")).toBe("text/plain");
		expect(t('<svg xmlns="http://www.w3.org/2000/svg"></svg>')).toBe("image/svg+xml");
		expect(t('<?xml version="1.0"?>\n<svg></svg>')).toBe("image/svg+xml");
		expect(t('<?xml version="1.0"?>\n<feed></feed>')).toBe("application/xml");
		expect(t('{"a": [1, 2]}')).toBe("application/json");
		expect(t("[1, 2")).toBe("text/plain");
		expect(t("name,size\nalpha,1\nbeta,2\n")).toBe("text/csv");
		expect(t("Hello, world.\nNo table here.\n")).toBe("text/plain");
		expect(t("# Title\n\nSome *markdown*.")).toBe("text/markdown");
		expect(t("plain words\n")).toBe("text/plain");
		expect(t("")).toBe("text/plain");
	});

	it("and by name, for text only", () => {
		const t = (s: string, name: string) => sniffType(text(s), true, name);
		expect(t("a;b\n1;2", "table.csv")).toBe("text/csv");
		expect(t("notes", "README.md")).toBe("text/markdown");
		expect(t("x", "page.HTML")).toBe("text/html");
		expect(t("{", "broken.json")).toBe("application/json");
		expect(sniffType(noise(100, 3), true, "page.html")).toBe("application/octet-stream");
	});

	it("a head cut inside a UTF-8 character is still text; invalid UTF-8 is not", () => {
		const euro = text("price: €€€€");
		expect(sniffType(euro.subarray(0, euro.length - 1), false, "")).toBe("text/plain");
		expect(sniffType(euro.subarray(0, euro.length - 1), true, "")).toBe("application/octet-stream");
		const emoji = text("hi 😀");
		for (const cut of [1, 2, 3]) expect(sniffType(emoji.subarray(0, emoji.length - cut), false, "")).toBe("text/plain");
		// A bad sequence at the very end is bad, cut or not.
		expect(sniffType(bytes(0x68, 0x69, 0xc3, 0x28), false, "")).toBe("application/octet-stream");
		expect(sniffType(bytes(0x68, 0x69, 0x80), false, "")).toBe("application/octet-stream");
	});

	it("judges by at most SNIFF_BYTES; only four image types are safe to show inline", () => {
		expect(SNIFF_BYTES).toBe(4096);
		expect(["image/png", "image/jpeg", "image/gif", "image/webp"].every(isSafeImage)).toBe(true);
		expect(["image/svg+xml", "text/html", "application/pdf"].some(isSafeImage)).toBe(false);
	});
});

describe("types through the API", () => {
	it("an HTML file uploaded as image/png named .png is stored as text/html", async () => {
		const user = await newUser();
		const res = await upload(user.token, "<html><script>alert(document.cookie)</script></html>", {
			name: "cat.png",
			contentType: "image/png",
		});
		expect((await res.json<FileBody>()).file).toMatchObject({ name: "cat.png", type: "text/html" });
		const form = fileForm("cat.png", "<!doctype html><p>hi", "image/png");
		const viaForm = await upload(user.token, form.body, { contentType: form.type });
		expect((await viaForm.json<FileBody>()).file.type).toBe("text/html");
	});

	it("a PNG sent as text/plain is image/png", async () => {
		const user = await newUser();
		const res = await upload(user.token, PNG, { name: "notes.txt", contentType: "text/plain" });
		expect((await res.json<FileBody>()).file.type).toBe("image/png");
	});
});
