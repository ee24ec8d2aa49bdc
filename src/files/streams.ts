/** Small stream pieces an upload is built of: look at its start, count and hash it on the way. */

/**
 * Reads the first `n` bytes of a stream (fewer when it is shorter) without losing them:
 * `rest` replays them, then passes on the rest as it is pulled.
 */
export async function peek(
	stream: ReadableStream<Uint8Array>,
	n: number,
): Promise<{ head: Uint8Array; complete: boolean; rest: ReadableStream<Uint8Array> }> {
	const reader = stream.getReader();
	const chunks: Uint8Array[] = [];
	let length = 0;
	let complete = false;
	while (length < n) {
		const { done, value } = await reader.read();
		if (done) {
			complete = true;
			break;
		}
		chunks.push(value);
		length += value.length;
	}
	const head = concat(chunks, length).subarray(0, n);
	let replay: Uint8Array[] | undefined = chunks;
	const rest = new ReadableStream<Uint8Array>(
		{
			async pull(controller) {
				if (replay) {
					for (const chunk of replay) controller.enqueue(chunk);
					replay = undefined;
					if (complete) controller.close();
					return;
				}
				const { done, value } = await reader.read();
				if (done) controller.close();
				else controller.enqueue(value);
			},
			cancel: (reason) => reader.cancel(reason),
		},
		{ highWaterMark: 0 },
	);
	return { head, complete, rest };
}

function concat(chunks: Uint8Array[], length: number): Uint8Array {
	if (chunks.length === 1 && chunks[0]) return chunks[0];
	const out = new Uint8Array(length);
	let at = 0;
	for (const chunk of chunks) {
		out.set(chunk, at);
		at += chunk.length;
	}
	return out;
}

/**
 * A pass-through that counts the bytes, hashes them (SHA-256, the platform's DigestStream)
 * and fails the stream with `overLimit()` as soon as the count passes `limit`.
 */
export class Meter {
	bytes = 0;
	/** Why the stream failed, when the meter failed it (the writer's own error is vaguer). */
	failure: unknown;
	readonly #digest = new crypto.DigestStream("SHA-256");
	readonly #writer = this.#digest.getWriter();
	readonly stream: TransformStream<Uint8Array, Uint8Array>;

	constructor(limit: number, overLimit: () => Error) {
		this.stream = new TransformStream<Uint8Array, Uint8Array>({
			transform: async (chunk, controller) => {
				this.bytes += chunk.length;
				if (this.bytes > limit) {
					this.failure = overLimit();
					throw this.failure;
				}
				await this.#writer.write(chunk);
				controller.enqueue(chunk);
			},
		});
	}

	/** Hex SHA-256 of every byte that passed (call once, after the stream ended). */
	async sha256(): Promise<string> {
		await this.#writer.close();
		const digest = new Uint8Array(await this.#digest.digest);
		return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
	}
}
