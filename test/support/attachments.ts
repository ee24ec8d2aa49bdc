import { env } from "cloudflare:workers";
import { PDFDocument, StandardFonts } from "pdf-lib";
import { newId } from "../../src/protocol/index.ts";
import type { FileRow } from "../../src/storage/files.ts";

/**
 * Files for the attachment tests, made in the test: a PDF (pdf-lib), a PNG (a real one: zlib
 * pixels, CRCs), text. `storedFile` writes one as an upload leaves it (R2 bytes, a `ready` row).
 */

/** A PDF with one page per entry, each page's lines written top-down in Helvetica. */
export async function pdfBytes(pages: string[][]): Promise<Uint8Array> {
	const doc = await PDFDocument.create();
	const font = await doc.embedFont(StandardFonts.Helvetica);
	for (const lines of pages) {
		const page = doc.addPage([595, 842]);
		lines.forEach((line, i) => {
			page.drawText(line, { x: 50, y: 780 - i * 20, size: 12, font });
		});
	}
	return doc.save();
}

/** A real PNG of `width` × `height` grey pixels. */
export async function pngBytes(width: number, height: number): Promise<Uint8Array> {
	const raw = new Uint8Array((width + 1) * height).fill(0x80);
	for (let y = 0; y < height; y++) raw[y * (width + 1)] = 0; // filter byte: none
	const idat = new Uint8Array(
		await new Response(new Blob([raw]).stream().pipeThrough(new CompressionStream("deflate"))).arrayBuffer(),
	);
	const ihdr = new Uint8Array(13);
	const view = new DataView(ihdr.buffer);
	view.setUint32(0, width);
	view.setUint32(4, height);
	ihdr.set([8, 0, 0, 0, 0], 8); // 8-bit greyscale
	return concat([
		new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
		chunk("IHDR", ihdr),
		chunk("IDAT", idat),
		chunk("IEND", new Uint8Array()),
	]);
}

function chunk(type: string, data: Uint8Array): Uint8Array {
	const out = new Uint8Array(12 + data.length);
	const view = new DataView(out.buffer);
	view.setUint32(0, data.length);
	out.set(new TextEncoder().encode(type), 4);
	out.set(data, 8);
	view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
	return out;
}

function crc32(bytes: Uint8Array): number {
	let crc = 0xffffffff;
	for (const byte of bytes) {
		crc ^= byte;
		for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
	}
	return (crc ^ 0xffffffff) >>> 0;
}

function concat(parts: Uint8Array[]): Uint8Array {
	const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
	let at = 0;
	for (const p of parts) {
		out.set(p, at);
		at += p.length;
	}
	return out;
}

/** A file as a finished upload leaves it: bytes in R2 (`files/<user>/<id>`), a `ready` row. */
export async function storedFile(
	userId: string,
	file: { name: string; type: string; bytes: Uint8Array | string; status?: "uploading" | "ready" },
): Promise<FileRow> {
	const bytes = typeof file.bytes === "string" ? new TextEncoder().encode(file.bytes) : file.bytes;
	const id = newId("file", 12);
	await env.FILES.put(`files/${userId}/${id}`, bytes);
	const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
	const sha256 = [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
	const row = await env.DB.prepare(
		`INSERT INTO files (id, user_id, name, type, size, sha256, status, created_at)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
	)
		.bind(id, userId, file.name, file.type, bytes.length, sha256, file.status ?? "ready", Date.now())
		.first<FileRow>();
	if (!row) throw new Error("file row not written");
	return row;
}

export async function fileRow(id: string): Promise<FileRow> {
	const row = await env.DB.prepare("SELECT * FROM files WHERE id = ?").bind(id).first<FileRow>();
	if (!row) throw new Error(`file ${id} is gone`);
	return row;
}
