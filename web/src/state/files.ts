import type { ControlMessage, SparkyFile } from "../../../src/protocol/index.ts";
import type { Api } from "../lib/api.ts";
import { FileApi } from "../lib/files.ts";
import { type UploadOptions, uploadFile } from "../lib/upload.ts";

/** A chat history row as far as files go: `attachments` on the user's message. */
interface RowWithFiles {
	id: string;
	attachments?: readonly SparkyFile[] | null;
}

/**
 * The session's files: uploads, the files each chat message carries (from the history's
 * rows, and from the sender's own tab when it sends), and the bytes of the ones on screen as
 * object URLs (fetched once with the Authorization header, released at sign-out).
 */
export class SessionFiles {
	readonly api: FileApi;
	readonly #byMessage = new Map<string, readonly SparkyFile[]>();
	readonly #urls = new Map<string, Promise<string>>();

	constructor(
		readonly http: Api,
		/** Something on screen may show differently (a message's files became known). */
		readonly changed: () => void = () => undefined,
	) {
		this.api = new FileApi(http);
	}

	upload = (file: File, options: UploadOptions): Promise<SparkyFile> =>
		uploadFile(this.http, file, file.name || "file", options);

	remove = (id: string): Promise<void> => this.api.remove(id);

	/** The files a chat message carries (none: undefined). */
	ofMessage(messageId: string): readonly SparkyFile[] | undefined {
		return this.#byMessage.get(messageId);
	}

	noteMessage(messageId: string, files: readonly SparkyFile[]): void {
		if (files.length === 0) return;
		this.#byMessage.set(messageId, files);
		this.changed();
	}

	/** The answer to the sender's own `chat.send` names its message: the files are shown on it. */
	noteSent(answer: ControlMessage, files: readonly SparkyFile[]): void {
		const sent = answer.type === "ack" ? (answer.result as { message_id?: unknown } | undefined) : undefined;
		if (typeof sent?.message_id === "string") this.noteMessage(sent.message_id, files);
	}

	noteHistory(rows: readonly RowWithFiles[]): void {
		for (const row of rows) if (row.attachments?.length) this.#byMessage.set(row.id, row.attachments);
	}

	/** An object URL of the file's bytes, fetched once. A failed fetch is forgotten (the next asks again). */
	url(id: string): Promise<string> {
		let url = this.#urls.get(id);
		if (!url) {
			url = this.api.content(id).then((blob) => URL.createObjectURL(blob));
			url.catch(() => this.#urls.delete(id));
			this.#urls.set(id, url);
		}
		return url;
	}

	/**
	 * Saves the file as the browser saves downloads, under its name. A thumbnail's bytes are
	 * there already; any other file's are fetched for this and let go once the browser has them.
	 */
	async download(file: SparkyFile): Promise<void> {
		const cached = this.#urls.get(file.id);
		const href = cached ? await cached : URL.createObjectURL(await this.api.content(file.id));
		const link = document.createElement("a");
		link.href = href;
		link.download = file.name;
		document.body.append(link);
		link.click();
		link.remove();
		if (!cached) setTimeout(() => URL.revokeObjectURL(href), 60_000);
	}

	/** Signed out: the bytes held as object URLs are let go. */
	stop(): void {
		for (const url of this.#urls.values()) url.then((u) => URL.revokeObjectURL(u)).catch(() => undefined);
		this.#urls.clear();
	}
}
