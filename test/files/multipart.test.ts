// The streaming form reader: the file part's exact bytes whatever the chunking (a boundary cut
// across chunks, one byte at a time), read no further ahead than asked, and refused when malformed.
import { describe, expect, it } from "vitest";
import { dispositionParams, indexOf, multipartBoundary, openFilePart } from "../../src/files/multipart.ts";
import { chunked, form, noise, readAll, text } from "./helpers.ts";

const BOUNDARY = "----sparkyTestBoundary7MA4YWxk";

async function fileOf(body: Uint8Array, chunkSize: number) {
	const part = await openFilePart(chunked(body, chunkSize).stream, BOUNDARY);
	return { filename: part.filename, bytes: await readAll(part.stream) };
}

describe("multipartBoundary", () => {
	it("reads the boundary of a form, quoted or not; other types are raw bodies", () => {
		expect(multipartBoundary(`multipart/form-data; boundary=${BOUNDARY}`)).toBe(BOUNDARY);
		expect(multipartBoundary('Multipart/Form-Data; charset=utf-8; boundary="a b:c"')).toBe("a b:c");
		expect(multipartBoundary("image/png")).toBeUndefined();
		expect(multipartBoundary(undefined)).toBeUndefined();
		expect(multipartBoundary("multipart/form-datax; boundary=x")).toBeUndefined();
		expect(() => multipartBoundary("multipart/form-data")).toThrow(/boundary/);
		expect(() => multipartBoundary(`multipart/form-data; boundary=${"x".repeat(71)}`)).toThrow(/boundary/);
	});
});

describe("openFilePart", () => {
	// A file full of near-boundaries: CRLFs, dashes and the boundary's own prefix.
	const tricky = text(`\r\n--\r\n--${BOUNDARY.slice(0, 20)}\r\n-${BOUNDARY}x\r\n\r\n--`);
	const content = new Uint8Array([...tricky, ...noise(50_000, 11), ...tricky]);
	const body = form([
		{ headers: ['Content-Disposition: form-data; name="title"'], body: "before" },
		{
			headers: ['Content-Disposition: form-data; name="file"; filename="data.bin"', "Content-Type: image/png"],
			body: content,
		},
		{ headers: ['Content-Disposition: form-data; name="after"'], body: "not read" },
	]).body;

	it.each([1, 2, 7, 71, 4096, 1_000_000])("gives the file's exact bytes in chunks of %i", async (size) => {
		const file = await fileOf(body, size);
		expect(file.filename).toBe("data.bin");
		expect(file.bytes).toEqual(content);
	});

	it("reads the body only as the file is read", async () => {
		const big = form([
			{ headers: ['Content-Disposition: form-data; name="file"; filename="x"'], body: noise(1_000_000) },
		]);
		const source = chunked(big.body, 10_000);
		const part = await openFilePart(source.stream, BOUNDARY);
		const reader = part.stream.getReader();
		await reader.read();
		// One chunk of the form, and one more at most: nothing read ahead of the consumer.
		expect(source.pulled()).toBeLessThanOrEqual(20_000);
		await reader.cancel();
	});

	it("takes a preamble and a part named `file` without a file name; an empty file", async () => {
		const withPreamble = new Uint8Array([
			...text("This is the preamble.\r\n"),
			...form([{ headers: ['Content-Disposition: form-data; name="file"'], body: "" }]).body,
		]);
		expect(await fileOf(withPreamble, 5)).toEqual({ filename: undefined, bytes: new Uint8Array(0) });
	});

	it("refuses a form with no file, a cut form, oversized headers and too many fields", async () => {
		const open = (bytes: Uint8Array) => openFilePart(chunked(bytes, 1000).stream, BOUNDARY);
		const fieldsOnly = form([{ headers: ['Content-Disposition: form-data; name="a"'], body: "b" }]).body;
		await expect(open(fieldsOnly)).rejects.toThrow(/no file part/);
		await expect(open(text("no boundary anywhere"))).rejects.toThrow(/ended inside the form's preamble/);
		await expect(open(text(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"`))).rejects.toThrow(
			/ended inside a part's headers/,
		);
		const padded = (n: number) =>
			text(`--${BOUNDARY}${" ".repeat(n)}\r\nContent-Disposition: form-data; name="file"\r\n\r\nx\r\n--${BOUNDARY}--`);
		expect(await readAll((await open(padded(64))).stream)).toEqual(text("x"));
		await expect(open(padded(65))).rejects.toThrow(/more than 64 bytes of padding/);
		const hugeHeader = form([{ headers: [`X-Big: ${"h".repeat(9000)}`], body: "x" }]).body;
		await expect(open(hugeHeader)).rejects.toThrow(/headers is over 8192 bytes/);
		const manyFields = form(
			Array.from({ length: 17 }, (_, i) => ({ headers: [`Content-Disposition: form-data; name="f${i}"`], body: "v" })),
		).body;
		await expect(open(manyFields)).rejects.toThrow(/no file in the first 16 parts/);
		const cut = form([{ headers: ['Content-Disposition: form-data; name="file"; filename="x"'], body: "abcdef" }]).body;
		const part = await open(cut.slice(0, cut.length - 40));
		await expect(readAll(part.stream)).rejects.toThrow(/ended inside the file/);
	});
});

describe("dispositionParams", () => {
	it("reads quoted and bare values, and filename* over filename", () => {
		expect(dispositionParams('form-data; name="file"; filename="a; b=c.txt"')).toEqual({
			name: "file",
			filename: "a; b=c.txt",
		});
		expect(dispositionParams("form-data; name=file; filename=plain.txt")).toEqual({
			name: "file",
			filename: "plain.txt",
		});
		expect(dispositionParams(`form-data; name="f"; filename="x.txt"; filename*=UTF-8''%E2%82%AC.txt`)).toEqual({
			name: "f",
			filename: "€.txt",
		});
		expect(dispositionParams(`form-data; name="f"; filename="x.txt"; filename*=UTF-8''%ZZ`)).toEqual({
			name: "f",
			filename: "x.txt",
		});
		expect(dispositionParams('form-data; name="q"; filename="say \\"hi\\".txt"').filename).toBe('say "hi".txt');
		expect(dispositionParams("form-data")).toEqual({ name: undefined, filename: undefined });
	});
});

describe("indexOf", () => {
	it("finds a needle anywhere, or -1", () => {
		const hay = text("abcabd\r\n--b\r\n--boundary");
		expect(indexOf(hay, text("\r\n--boundary"))).toBe(11);
		expect(indexOf(hay, text("abd"))).toBe(3);
		expect(indexOf(hay, text("zzz"))).toBe(-1);
		expect(indexOf(text("ab"), text("abc"))).toBe(-1);
	});
});
