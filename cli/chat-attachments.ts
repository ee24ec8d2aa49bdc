/**
 * The files waiting to go with the next message of `sparky chat`: `--attach` at the start,
 * `/attach PATH` in the session (uploaded at once, Ctrl+C stops it), `/detach` drops them.
 * Uploads are chained, so messages typed meanwhile wait for them and go in order.
 */
import { FileLimits, type SparkyFile } from "../src/protocol/index.ts";
import type { Context } from "./context.ts";
import { CliError, ExitCode } from "./errors.ts";
import { formatBytes } from "./progress.ts";
import { discardUploads, localFiles, uploadAll } from "./upload.ts";

export class ChatAttachments {
	readonly #ctx: Context;
	#pending: SparkyFile[] = [];
	/** The uploads started so far, in order; a message waits for them. */
	#uploads: Promise<void> = Promise.resolve();
	#running = 0;
	#abort: AbortController | undefined;
	#closed = false;

	constructor(ctx: Context) {
		this.#ctx = ctx;
	}

	/** An upload is on its way. */
	get uploading(): boolean {
		return this.#running > 0;
	}

	get pending(): readonly SparkyFile[] {
		return this.#pending;
	}

	/** `/attach`, `/attach PATH` and `/detach`. */
	isCommand(text: string): boolean {
		return text === "/attach" || text === "/detach" || text.startsWith("/attach ");
	}

	/** Runs one of the session's file commands; resolves with what to tell the user (never rejects). */
	command(text: string): Promise<string> {
		const { c } = this.#ctx.out;
		if (text === "/attach") return Promise.resolve(c.dim(this.list()));
		if (text === "/detach") return this.detach().then((said) => c.dim(said));
		return this.upload(unquote(text.slice("/attach ".length).trim()));
	}

	/** Files uploaded already (`--attach`): they go with the next message. */
	add(files: readonly SparkyFile[]): void {
		this.#pending.push(...files);
	}

	/**
	 * `/attach PATH`: uploads it after the uploads before it; resolves with what to tell the
	 * user (never rejects: a failure is told too).
	 */
	upload(path: string): Promise<string> {
		this.#running++;
		const done = this.#uploads
			.then(() => (this.#closed ? "" : this.#uploadOne(path)))
			.finally(() => {
				this.#running--;
			});
		this.#uploads = done.then(() => {});
		return done;
	}

	async #uploadOne(path: string): Promise<string> {
		const { c } = this.#ctx.out;
		if (this.#pending.length >= FileLimits.attachmentsPerMessage) {
			return c.red(`✖ a message carries at most ${FileLimits.attachmentsPerMessage} files; send this one first`);
		}
		this.#abort = new AbortController();
		try {
			const files = await localFiles([path], "/attach");
			const [file] = await uploadAll(this.#ctx, files, undefined, this.#abort.signal);
			if (!file) return c.red("✖ nothing uploaded");
			this.#pending.push(file);
			return c.dim(`📎 ${describe(file)} goes with your next message`);
		} catch (error) {
			return c.red(`✖ ${error instanceof Error ? error.message : String(error)}`);
		} finally {
			this.#abort = undefined;
		}
	}

	/** Ctrl+C during an upload: stops it (and the ones queued behind it still run). */
	cancelUpload(): boolean {
		if (!this.#abort) return false;
		this.#abort.abort(new CliError("upload stopped", ExitCode.interrupted, "interrupted"));
		return true;
	}

	/** Waits for the uploads started so far, then hands over the files waiting (and forgets them). */
	async take(): Promise<SparkyFile[]> {
		await this.#uploads;
		const files = this.#pending;
		this.#pending = [];
		return files;
	}

	/** A message that did not go: its files wait for the next one. */
	putBack(files: readonly SparkyFile[]): void {
		this.#pending = [...files, ...this.#pending];
	}

	/** `/detach`: the waiting files are deleted; says what went. */
	async detach(): Promise<string> {
		const files = await this.take().catch(() => []);
		if (files.length === 0) return "nothing attached";
		await discardUploads(this.#ctx, files);
		return `dropped ${files.map((f) => f.name).join(", ")}`;
	}

	/** `/attach` alone: what waits for the next message. */
	list(): string {
		if (this.#pending.length === 0) return "nothing attached: /attach PATH adds a file to your next message";
		return `attached to your next message: ${this.#pending.map(describe).join(", ")}`;
	}

	/** The session ends: uploads no message took are deleted (they would only wait to expire). */
	async close(): Promise<void> {
		this.#closed = true;
		this.cancelUpload();
		await discardUploads(this.#ctx, await this.take());
	}
}

/** `report.pdf (1.2 MiB)`. */
export const describe = (file: SparkyFile): string => `${file.name} (${formatBytes(file.size)})`;

/** `/attach "my file.pdf"` or `/attach 'my file.pdf'`: the path without its quotes. */
function unquote(path: string): string {
	const quoted = /^(["'])(.*)\1$/.exec(path);
	return quoted ? (quoted[2] ?? "") : path;
}
