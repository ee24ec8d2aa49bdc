import { ServerFrameSchema, type ServerItem } from "../protocol/index.ts";

export type ParsedFrame = { ok: true; items: ServerItem[] } | { ok: false; error: string };

/** Parses and validates one server frame (a JSON array of events and control messages). */
export function parseServerFrame(data: string): ParsedFrame {
	let json: unknown;
	try {
		json = JSON.parse(data);
	} catch {
		return { ok: false, error: "frame is not JSON" };
	}
	const parsed = ServerFrameSchema.safeParse(json);
	if (!parsed.success) return { ok: false, error: parsed.error.issues[0]?.message ?? "invalid frame" };
	return { ok: true, items: parsed.data };
}

/** True for sequenced events, false for per-connection control messages. */
export function isSequenced(item: ServerItem): item is Extract<ServerItem, { seq: number }> {
	return typeof (item as { seq?: unknown }).seq === "number";
}
