import { z } from "zod";
import { CloseCode, type ControlMessage, LIMITS, type Role, RoleSchema } from "../protocol/index.ts";

/**
 * What the Worker tells the hub about a socket it authenticated. Sent as a header on the
 * internal upgrade request; the hub is reachable only through the Worker.
 */
export const ConnectInfoSchema = z.object({
	userId: z.string().min(1),
	tokenId: z.string().min(1),
	role: RoleSchema,
	/** When the credential expires (ms), or null for never. Sockets close then. */
	tokenExpiresAt: z.number().int().nullable(),
	/** Whether the client offered sub-protocols (then the response must pick one). */
	offeredProtocols: z.boolean(),
});
export type ConnectInfo = z.infer<typeof ConnectInfoSchema>;
export const CONNECT_INFO_HEADER = "X-Sparky-Connect";

/** Per-socket state, kept in the attachment so it survives hibernation. Namespaced. */
export interface SocketState {
	sessionId: string;
	userId: string;
	tokenId: string;
	role: Role;
	connectedAt: number;
	tokenExpiresAt: number | null;
}

interface Attachment {
	sparky: SocketState;
}

export function tokenTag(tokenId: string): string {
	return `tok:${tokenId}`;
}

export function sessionTag(sessionId: string): string {
	return `ses:${sessionId}`;
}

export function attach(ws: WebSocket, state: SocketState): void {
	ws.serializeAttachment({ sparky: state } satisfies Attachment);
}

export function socketState(ws: WebSocket): SocketState | undefined {
	const attachment = ws.deserializeAttachment() as Partial<Attachment> | null;
	return attachment?.sparky;
}

/** Sends control messages (one frame). Returns false when the socket is gone. */
export function sendControl(ws: WebSocket, ...messages: ControlMessage[]): boolean {
	return sendRaw(ws, JSON.stringify(messages));
}

/**
 * The one door for event frames, live and replayed alike: a socket that has more than
 * `LIMITS.socketBufferBytes` queued and unsent (it stopped reading) is closed with 4008
 * instead of being given more, so no client can make the hub buffer without bound (by not
 * reading, or by asking for the same replay again and again). It resumes from its seq.
 * A send that throws means that one socket is broken: it is closed. False when it was closed.
 */
export function sendBounded(ws: WebSocket, frame: string, ownBytes = 0): boolean {
	if (closedForBacklog(ws, ownBytes)) return false;
	if (sendRaw(ws, frame)) return true;
	closeQuietly(ws, CloseCode.internalError, "send failed");
	return false;
}

/**
 * Closes a socket with 4008 when its unsent backlog is over the limit; true when it did.
 * `ownBytes`: what the caller itself queued within this same synchronous step (a replay in
 * progress), which the socket has had no chance to read yet and so doesn't count against it.
 */
export function closedForBacklog(ws: WebSocket, ownBytes = 0): boolean {
	// Written as "not over" so a runtime that reports no bufferedAmount never closes anything.
	if (!(ws.bufferedAmount - ownBytes > LIMITS.socketBufferBytes)) return false;
	closeQuietly(ws, CloseCode.slowConsumer, "slow consumer: reconnect with since");
	return true;
}

/**
 * Sends already-serialised events (a replay) through `sendBounded`, as frames of at most
 * `LIMITS.replayFrameEvents` events and about `LIMITS.replayFrameBytes` bytes. A replay is
 * sent in one synchronous step (no live event can slip in between), so what it queued itself
 * is not held against the socket; a backlog from before it (a client that asked again without
 * reading) is, and closes the socket with 4008. One replay thus queues at most the log once.
 * False when the socket was closed.
 */
export function sendEvents(ws: WebSocket, events: string[], trailer?: string): boolean {
	let own = 0;
	let start = 0;
	while (start < events.length) {
		let end = start;
		let bytes = 0;
		while (end < events.length && end - start < LIMITS.replayFrameEvents) {
			bytes += (events[end] ?? "").length;
			end++;
			if (bytes >= LIMITS.replayFrameBytes) break;
		}
		const before = ws.bufferedAmount || 0;
		if (!sendBounded(ws, frameOf(events.slice(start, end)), own)) return false;
		// What this frame added to the backlog, exactly as the runtime counts it.
		own += Math.max(0, (ws.bufferedAmount || 0) - before);
		start = end;
	}
	// The replay's closing marker is part of it too.
	return trailer === undefined || sendBounded(ws, trailer, own);
}

/** A server frame from serialised events: built once per publish, shared by every socket. */
export function frameOf(events: string[]): string {
	return `[${events.join(",")}]`;
}

export function sendRaw(ws: WebSocket, frame: string): boolean {
	try {
		ws.send(frame);
		return true;
	} catch {
		return false;
	}
}

/** Closes without throwing (the socket may already be closing). */
export function closeQuietly(ws: WebSocket, code: number, reason: string): void {
	try {
		ws.close(code, reason);
	} catch {
		// already closed
	}
}

/** Whether a text frame exceeds the limit in UTF-8 bytes; encodes only when the length can't tell. */
export function frameTooBig(text: string): boolean {
	if (text.length * 3 <= LIMITS.clientFrameBytes) return false;
	if (text.length > LIMITS.clientFrameBytes) return true;
	return new TextEncoder().encode(text).length > LIMITS.clientFrameBytes;
}

/** The API's error shape, for an upgrade the hub refuses (it can't throw to the Worker's mapping). */
export function refusal(
	status: number,
	code: string,
	message: string,
	details: unknown,
	headers: Record<string, string> = {},
): Response {
	return Response.json({ error: { code, message, details } }, { status, headers });
}
