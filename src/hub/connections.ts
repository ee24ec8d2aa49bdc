import { z } from "zod";
import { type ControlMessage, LIMITS, type Role, RoleSchema } from "../protocol/index.ts";

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

/** Sends already-serialised events as frames of at most `LIMITS.replayFrameEvents`. */
export function sendEvents(ws: WebSocket, events: string[]): boolean {
	for (let i = 0; i < events.length; i += LIMITS.replayFrameEvents) {
		if (!sendRaw(ws, frameOf(events.slice(i, i + LIMITS.replayFrameEvents)))) return false;
	}
	return true;
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
