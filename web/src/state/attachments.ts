import { FileLimits, type SparkyFile } from "../../../src/protocol/index.ts";
import { uploadErrorText } from "../lib/files.ts";
import type { UploadOptions } from "../lib/upload.ts";

/** Uploads one file (`uploadFile` in the page; a fake in tests). */
export type Uploader = (file: File, options: UploadOptions) => Promise<SparkyFile>;

/** One file on its way into a message or task: a chip in the composer. */
export interface Attachment {
	/** This tray's own key (the same file may be added twice). */
	key: string;
	file: File;
	state: "uploading" | "done" | "error";
	/** How much has been sent, 0 to 1. */
	progress: number;
	uploaded?: SparkyFile;
	/** Why it failed, in words. */
	error?: string;
}

/**
 * The files a message or task will carry: each one uploads as soon as it is added (so it is
 * ready by the time the text is), can be removed (an upload in flight is aborted, one done is
 * deleted on the server: it would only wait out its expiry) and, after a failure, tried
 * again. Sending is possible once every file is uploaded.
 */
export class AttachmentTray {
	items: Attachment[] = [];
	/** Said when files were left out (over the per-message limit). */
	note: string | undefined;
	readonly #uploads = new Map<string, AbortController>();
	#next = 0;

	constructor(
		readonly upload: Uploader,
		/** Deletes an upload that was removed from the tray. */
		readonly discard: (id: string) => Promise<void>,
		readonly changed: () => void,
		readonly max: number = FileLimits.attachmentsPerMessage,
	) {}

	add(files: Iterable<File>): void {
		const all = [...files];
		const room = Math.max(0, this.max - this.items.length);
		const taken = all.slice(0, room);
		this.note =
			all.length > taken.length
				? `A message can carry at most ${this.max} files: ${all.length - taken.length} left out.`
				: undefined;
		for (const file of taken) {
			const item: Attachment = { key: `a${++this.#next}`, file, state: "uploading", progress: 0 };
			this.items = [...this.items, item];
			void this.#start(item);
		}
		this.changed();
	}

	remove(key: string): void {
		const item = this.items.find((i) => i.key === key);
		if (!item) return;
		this.#uploads.get(key)?.abort();
		this.#uploads.delete(key);
		if (item.uploaded) this.discard(item.uploaded.id).catch(() => undefined);
		this.items = this.items.filter((i) => i.key !== key);
		this.note = undefined;
		this.changed();
	}

	retry(key: string): void {
		const item = this.items.find((i) => i.key === key);
		if (item?.state !== "error") return;
		void this.#start(item);
	}

	get uploading(): boolean {
		return this.items.some((i) => i.state === "uploading");
	}

	get failed(): boolean {
		return this.items.some((i) => i.state === "error");
	}

	/** The uploaded files, in the order they were added. */
	files(): SparkyFile[] {
		return this.items.flatMap((i) => (i.uploaded ? [i.uploaded] : []));
	}

	/** Sent: the tray starts empty again (the files now belong to the message). */
	clear(): void {
		this.items = [];
		this.note = undefined;
		this.changed();
	}

	/** The tray goes away (the form is gone): uploads in flight stop; what was uploaded expires unattached. */
	dispose(): void {
		for (const controller of this.#uploads.values()) controller.abort();
		this.#uploads.clear();
	}

	async #start(item: Attachment): Promise<void> {
		const controller = new AbortController();
		this.#uploads.set(item.key, controller);
		this.#update(item, { state: "uploading", progress: 0, error: undefined });
		try {
			const uploaded = await this.upload(item.file, {
				signal: controller.signal,
				onProgress: (progress) => this.#update(item, { progress }),
			});
			if (controller.signal.aborted) return;
			this.#update(item, { state: "done", progress: 1, uploaded });
		} catch (error) {
			if (controller.signal.aborted) return;
			this.#update(item, { state: "error", error: uploadErrorText(error) });
		} finally {
			if (this.#uploads.get(item.key) === controller) this.#uploads.delete(item.key);
		}
	}

	#update(item: Attachment, change: Partial<Attachment>): void {
		if (!this.items.includes(item)) return; // removed meanwhile
		Object.assign(item, change);
		this.changed();
	}
}
