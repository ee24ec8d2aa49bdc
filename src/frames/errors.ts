import { SparkyError } from "../errors.ts";
import { log } from "../log.ts";
import { type ControlMessage, ErrorCode } from "../protocol/index.ts";

/**
 * The one place an error from handling a client frame becomes the socket's `error` frame:
 * a domain error says what was wrong; anything else is logged and the client told to retry.
 */
export function errorFrame(error: unknown, frame: { type: string; id?: string }, userId: string): ControlMessage {
	const ref = frame.id ? { ref: frame.id } : {};
	if (error instanceof SparkyError) {
		const details = error.details === undefined ? {} : { details: error.details };
		return { type: "error", code: error.code, message: error.message, ...details, ...ref };
	}
	log.error("client frame failed", { frame: frame.type, userId, error });
	return { type: "error", code: ErrorCode.internal, message: "could not handle the frame; try again", ...ref };
}
