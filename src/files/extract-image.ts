/**
 * An image's width and height from its first bytes (PNG, JPEG, GIF, WebP): what the model and
 * the demo model are told. A few lines each instead of a package: the headers are fixed.
 */
export interface ImageSize {
	width: number;
	height: number;
}

/** The dimensions, or undefined when the header isn't one of the four or is cut short. */
export function imageSize(bytes: Uint8Array): ImageSize | undefined {
	return png(bytes) ?? gif(bytes) ?? webp(bytes) ?? jpeg(bytes);
}

const view = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
const ascii = (bytes: Uint8Array, from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to));
const sized = (width: number, height: number) => (width > 0 && height > 0 ? { width, height } : undefined);

/** Signature, then the IHDR chunk: width and height, big-endian, at 16 and 20. */
function png(bytes: Uint8Array): ImageSize | undefined {
	if (bytes.length < 24 || ascii(bytes, 1, 4) !== "PNG" || ascii(bytes, 12, 16) !== "IHDR") return undefined;
	return sized(view(bytes).getUint32(16), view(bytes).getUint32(20));
}

/** The logical screen: width and height, little-endian, at 6 and 8. */
function gif(bytes: Uint8Array): ImageSize | undefined {
	if (bytes.length < 10 || !/^GIF8[79]a$/.test(ascii(bytes, 0, 6))) return undefined;
	return sized(view(bytes).getUint16(6, true), view(bytes).getUint16(8, true));
}

/** RIFF/WEBP with its first chunk: lossy (VP8), lossless (VP8L) or extended (VP8X). */
function webp(bytes: Uint8Array): ImageSize | undefined {
	if (bytes.length < 30 || ascii(bytes, 0, 4) !== "RIFF" || ascii(bytes, 8, 12) !== "WEBP") return undefined;
	const v = view(bytes);
	switch (ascii(bytes, 12, 16)) {
		case "VP8 ":
			return sized(v.getUint16(26, true) & 0x3fff, v.getUint16(28, true) & 0x3fff);
		case "VP8L": {
			const bits = v.getUint32(21, true);
			return sized((bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1);
		}
		case "VP8X": {
			const u24 = (at: number) =>
				(bytes[at] as number) | ((bytes[at + 1] as number) << 8) | ((bytes[at + 2] as number) << 16);
			return sized(u24(24) + 1, u24(27) + 1);
		}
		default:
			return undefined;
	}
}

/** Walks the segments to the first start-of-frame (SOF0–SOF15 but DHT, JPG and DAC): height, then width. */
function jpeg(bytes: Uint8Array): ImageSize | undefined {
	if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return undefined;
	const v = view(bytes);
	let at = 2;
	while (at + 9 < bytes.length) {
		if (bytes[at] !== 0xff) return undefined;
		const marker = bytes[at + 1] as number;
		// Fill bytes, and markers without a length (RSTn, TEM).
		if (marker === 0xff) {
			at++;
			continue;
		}
		if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
			at += 2;
			continue;
		}
		const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
		if (isFrame) return sized(v.getUint16(at + 7), v.getUint16(at + 5));
		at += 2 + v.getUint16(at + 2);
	}
	return undefined;
}
