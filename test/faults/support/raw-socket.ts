import { randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";

/**
 * A WebSocket client on a bare TCP socket, so the suite can stop reading (a slow consumer)
 * and later see exactly which frames, and which close code, the server queued for it.
 */
export class RawSocket {
	readonly #socket: Socket;
	#buffer = Buffer.alloc(0);
	#handshaken = false;
	bytesRead = 0;
	frames = 0;
	closeCode: number | undefined;

	private constructor(socket: Socket) {
		this.#socket = socket;
	}

	static async open(url: string, token: string): Promise<RawSocket> {
		const target = new URL("/api/ws", url);
		const socket = connect(Number(target.port), target.hostname);
		const raw = new RawSocket(socket);
		await new Promise<void>((resolve, reject) => {
			socket.once("connect", resolve);
			socket.once("error", reject);
		});
		socket.write(
			[
				`GET ${target.pathname} HTTP/1.1`,
				`Host: ${target.host}`,
				"Upgrade: websocket",
				"Connection: Upgrade",
				`Sec-WebSocket-Key: ${randomBytes(16).toString("base64")}`,
				"Sec-WebSocket-Version: 13",
				`Sec-WebSocket-Protocol: sparky.v1, sparky.auth.${token}`,
				"",
				"",
			].join("\r\n"),
		);
		socket.on("data", (chunk: Buffer) => raw.#onData(chunk));
		const deadline = Date.now() + 10_000;
		while (!raw.#handshaken) {
			if (Date.now() > deadline) throw new Error("no WebSocket handshake");
			await new Promise((r) => setTimeout(r, 10));
		}
		return raw;
	}

	/** Sends one text frame (masked, as a client must). */
	sendText(text: string): void {
		const payload = Buffer.from(text);
		const mask = randomBytes(4);
		const header =
			payload.length < 126
				? Buffer.from([0x81, 0x80 | payload.length])
				: Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
		const masked = Buffer.from(payload.map((byte, i) => byte ^ (mask[i % 4] as number)));
		this.#socket.write(Buffer.concat([header, mask, masked]));
	}

	/** Stop reading: the kernel buffers fill, then the server's. */
	pause(): void {
		this.#socket.pause();
	}

	resume(): void {
		this.#socket.resume();
	}

	destroy(): void {
		this.#socket.destroy();
	}

	#onData(chunk: Buffer): void {
		this.bytesRead += chunk.length;
		this.#buffer = Buffer.concat([this.#buffer, chunk]);
		if (!this.#handshaken) {
			const end = this.#buffer.indexOf("\r\n\r\n");
			if (end < 0) return;
			if (!this.#buffer.subarray(0, end).toString().startsWith("HTTP/1.1 101")) throw new Error("upgrade refused");
			this.#buffer = this.#buffer.subarray(end + 4);
			this.#handshaken = true;
		}
		// Server frames are unmasked: opcode, 7/16/64-bit length, payload.
		for (;;) {
			if (this.#buffer.length < 2) return;
			const opcode = (this.#buffer[0] as number) & 0x0f;
			let length = (this.#buffer[1] as number) & 0x7f;
			let offset = 2;
			if (length === 126) {
				if (this.#buffer.length < 4) return;
				length = this.#buffer.readUInt16BE(2);
				offset = 4;
			} else if (length === 127) {
				if (this.#buffer.length < 10) return;
				length = Number(this.#buffer.readBigUInt64BE(2));
				offset = 10;
			}
			if (this.#buffer.length < offset + length) return;
			const payload = this.#buffer.subarray(offset, offset + length);
			this.#buffer = this.#buffer.subarray(offset + length);
			this.frames++;
			if (opcode === 0x8 && payload.length >= 2) this.closeCode = payload.readUInt16BE(0);
		}
	}
}
