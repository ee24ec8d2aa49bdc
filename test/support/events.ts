import { type ClientEvent, parseHubEvent } from "../../src/protocol/index.ts";

/**
 * A test's raw event typed as a client would type it (`parseHubEvent`). Throws when its envelope
 * is broken, or when it is a known type whose fields don't parse (a fixture that no producer would
 * send); an unknown type or custom name comes back as the `unknown` variant.
 */
export function clientEvent(raw: Record<string, unknown>): ClientEvent {
	const parsed = parseHubEvent(raw);
	if (!parsed.ok) throw new Error(parsed.error);
	if (parsed.event.type === "unknown" && parsed.event.error) throw new Error(parsed.event.error);
	return parsed.event;
}
