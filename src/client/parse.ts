import { ControlMessageSchema, type HubEvent, HubEventSchema, type ServerItem } from "../protocol/index.ts";

export interface ParsedFrame {
	/** Valid items, in frame order. */
	items: ServerItem[];
	/** Items that were skipped, and why (an older client meeting a newer control type, say). */
	skipped: { index: number; error: string }[];
}

/**
 * Parses one server frame (a JSON array of events and control messages) item by item,
 * so one item this client doesn't understand never costs it the events around it.
 */
export function parseServerFrame(data: string): ParsedFrame | { error: string } {
	let json: unknown;
	try {
		json = JSON.parse(data);
	} catch {
		return { error: "frame is not JSON" };
	}
	if (!Array.isArray(json) || json.length === 0) return { error: "frame is not a non-empty JSON array" };
	const frame: ParsedFrame = { items: [], skipped: [] };
	json.forEach((raw: unknown, index) => {
		const schema = typeof (raw as { seq?: unknown })?.seq === "number" ? HubEventSchema : ControlMessageSchema;
		const parsed = schema.safeParse(raw);
		if (parsed.success) frame.items.push(parsed.data as ServerItem);
		else frame.skipped.push({ index, error: parsed.error.issues[0]?.message ?? "invalid item" });
	});
	return frame;
}

/** True for sequenced events, false for per-connection control messages. */
export function isSequenced(item: ServerItem): item is HubEvent {
	return typeof (item as { seq?: unknown }).seq === "number";
}
