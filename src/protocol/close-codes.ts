/** WebSocket close codes the hub uses. Documented in docs/protocol.md. */
export const CloseCode = {
	/** Normal close (client asked, or the server is shutting the socket cleanly). */
	normal: 1000,
	/** A frame from the client was larger than LIMITS.clientFrameBytes. */
	messageTooBig: 1009,
	/** The hub hit an unexpected error with this socket; reconnect with `since`. */
	internalError: 1011,
	/** The credential this socket was opened with was revoked or expired. Do not retry with it. */
	unauthorized: 4001,
	/** The socket stopped reading and its send buffer filled; reconnect with `since`. */
	slowConsumer: 4008,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];
