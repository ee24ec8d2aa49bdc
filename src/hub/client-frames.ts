import {
	type ClientFrame,
	ClientFrameSchema,
	CloseCode,
	describeIssues,
	ErrorCode,
	LIMITS,
	tooDeep,
} from "../protocol/index.ts";
import { closeQuietly, frameTooBig, sendControl } from "./connections.ts";

/** What a client frame asks the hub to do; the hub supplies the behaviour. */
export interface FrameHandlers {
	/** A replay asked again on an open socket (a client that saw a gap). */
	resume(ws: WebSocket, frame: Extract<ClientFrame, { type: "resume" }>): void;
	/** Frames that need storage or other services (chats); answered on the socket. */
	other(ws: WebSocket, frame: ClientFrame): Promise<void>;
}

/**
 * Validates one frame from a client and dispatches it. Bad input never closes the socket
 * (the client gets an `error` message), except a frame over the size limit (1009).
 */
export async function handleClientFrame(
	ws: WebSocket,
	message: string | ArrayBuffer,
	handlers: FrameHandlers,
): Promise<void> {
	if (typeof message !== "string") {
		if (message.byteLength > LIMITS.clientFrameBytes) {
			closeTooBig(ws);
			return;
		}
		sendControl(ws, {
			type: "error",
			code: ErrorCode.unsupportedFrame,
			message: "binary frames are not supported; send JSON text frames",
		});
		return;
	}
	if (frameTooBig(message)) {
		closeTooBig(ws);
		return;
	}

	let json: unknown;
	try {
		json = JSON.parse(message);
	} catch {
		sendControl(ws, { type: "error", code: ErrorCode.invalidJson, message: "frame is not valid JSON" });
		return;
	}
	if (tooDeep(json, LIMITS.jsonDepth)) {
		sendControl(ws, { type: "error", code: ErrorCode.validationFailed, message: "frame nests too deeply" });
		return;
	}
	const parsed = ClientFrameSchema.safeParse(json);
	if (!parsed.success) {
		sendControl(ws, {
			type: "error",
			code: ErrorCode.validationFailed,
			message: "frame does not match any client frame type",
			details: describeIssues(parsed.error),
			...refOf(json),
		});
		return;
	}
	await dispatch(ws, parsed.data, handlers);
}

async function dispatch(ws: WebSocket, frame: ClientFrame, handlers: FrameHandlers): Promise<void> {
	switch (frame.type) {
		case "ping":
			sendControl(ws, { type: "pong", ts: Date.now(), ...(frame.id ? { ref: frame.id } : {}) });
			return;
		case "resume":
			handlers.resume(ws, frame);
			return;
		default:
			await handlers.other(ws, frame);
	}
}

function closeTooBig(ws: WebSocket): void {
	closeQuietly(ws, CloseCode.messageTooBig, `frame larger than ${LIMITS.clientFrameBytes} bytes`);
}

/** Echo a well-formed `id` back as `ref` even when the rest of the frame was invalid. */
function refOf(json: unknown): { ref?: string } {
	const id = (json as { id?: unknown } | null)?.id;
	return typeof id === "string" && id.length <= 64 ? { ref: id } : {};
}
