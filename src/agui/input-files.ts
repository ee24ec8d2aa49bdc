import { invalid } from "../errors.ts";
import { uploadFile } from "../files/upload.ts";
import { describeIssues, FileLimits, type InputMediaPart, InputMediaPartSchema } from "../protocol/index.ts";

/**
 * A user message's image and document parts (AG-UI's multimodal input) as Sparky files:
 * inline bytes become an upload of the user's (the size cap, the quota and the `files` rate
 * apply, as to any upload); a part naming an uploaded file (`source.type: "file"`) is that file.
 */

/** The message's media parts, checked: images and documents, inline or by file id, no URLs, no audio or video. */
export function inputMedia(content: unknown): InputMediaPart[] {
	if (!Array.isArray(content)) return [];
	const parts: InputMediaPart[] = [];
	for (const [index, part] of content.entries()) {
		const type = (part as { type?: unknown } | null)?.type;
		if (type === "text") continue;
		if (type === "audio" || type === "video") throw invalid(`${type} parts are not taken: images and documents only`);
		const parsed = InputMediaPartSchema.safeParse(part);
		if (!parsed.success)
			throw invalid(`content part ${index} is not an image or document Sparky takes`, describeIssues(parsed.error));
		parts.push(parsed.data);
	}
	return parts;
}

/** At most FileLimits.attachmentsPerMessage files one turn carries, whatever its messages. */
export function checkMediaCount(count: number): void {
	if (count > FileLimits.attachmentsPerMessage)
		throw invalid(`at most ${FileLimits.attachmentsPerMessage} images and documents a turn (${count} given)`);
}

/** The parts as file ids, in order: inline bytes stored as uploads now. */
export async function mediaFileIds(env: Env, userId: string, parts: readonly InputMediaPart[]): Promise<string[]> {
	const ids: string[] = [];
	for (const part of parts) {
		if (part.source.type === "file") {
			ids.push(part.source.value);
			continue;
		}
		if (part.source.type !== "data") continue;
		const bytes = decodeBase64(part.source.value);
		const file = await uploadFile(env, userId, {
			body: new Blob([bytes]).stream(),
			contentLength: bytes.length,
			name: nameOf(part),
		});
		ids.push(file.id);
	}
	return ids;
}

/** The name a client gave the part (`metadata.filename` or `metadata.name`), if any. */
function nameOf(part: InputMediaPart): string | undefined {
	const metadata = part.metadata as { filename?: unknown; name?: unknown } | undefined;
	const name = metadata?.filename ?? metadata?.name;
	return typeof name === "string" ? name : undefined;
}

function decodeBase64(value: string): Uint8Array {
	let binary: string;
	try {
		binary = atob(value.replace(/[\r\n]/g, ""));
	} catch {
		throw invalid("inline data is not valid base64");
	}
	const bytes = new Uint8Array(binary.length);
	for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
	return bytes;
}
