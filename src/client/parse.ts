import { type ClientEvent, type ControlMessage, ControlMessageSchema, parseHubEvent } from "../protocol/index.ts";

/** One item of a server frame, typed: an event (known, or the `unknown` variant) or a control message. */
export type ClientItem = { kind: "event"; event: ClientEvent } | { kind: "control"; message: ControlMessage };

export interface ParsedFrame {
	/** Valid items, in frame order. */
	items: ClientItem[];
	/** Items that were skipped, and why (an older client meeting a newer control type, say). */
	skipped: { index: number; error: string }[];
}

/**
 * Parses one server frame (a JSON array of events and control messages) item by item,
 * so one item this client doesn't understand never costs it the events around it. Events
 * are typed here (`parseHubEvent`): past this point nothing reads an event's fields unchecked.
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
		if (isRecord(raw) && typeof raw.seq === "number") {
			const parsed = parseHubEvent(raw);
			if (parsed.ok) frame.items.push({ kind: "event", event: parsed.event });
			else frame.skipped.push({ index, error: parsed.error });
			return;
		}
		const parsed = ControlMessageSchema.safeParse(raw);
		if (parsed.success) frame.items.push({ kind: "control", message: parsed.data });
		else frame.skipped.push({ index, error: parsed.error.issues[0]?.message ?? "invalid item" });
	});
	return frame;
}

function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === "object" && value !== null && !Array.isArray(value);
}
