/** Sizes shared by the Worker, the hub and clients. One place, so they cannot drift. */
export const LIMITS = {
	/** A client frame larger than this closes the socket with 1009 (message too big). */
	clientFrameBytes: 64 * 1024,
	/** One stored event, serialised. DO SQLite rows may be up to 2 MB; we stay far below. */
	eventBytes: 256 * 1024,
	/** Events accepted by one `publish` call. */
	publishBatch: 500,
	/** Events per server frame when replaying; live frames carry one publish call's events. */
	replayFrameEvents: 200,
	/** A replay frame is closed once it holds this many characters of events (then the buffer is checked again). */
	replayFrameBytes: 256 * 1024,
	/**
	 * Bytes of events (UTF-8, as sent) one replay reads and sends at most, besides
	 * SPARKY_REPLAY_MAX_EVENTS: 10,000 events of up to 256 KiB each would not fit in an isolate's
	 * 128 MB. Four times the socket buffer limit, so a tab closed with 4008 (plus what the network
	 * held) catches up in one replay. A cursor further back gets the newest that fit, after
	 * `replay.truncated` (`replay_limit`).
	 */
	replayBytes: 16 * 1024 * 1024,
	/** JSON request bodies. */
	httpBodyBytes: 1024 * 1024,
	/** Nesting of JSON accepted from outside (bodies, frames); deeper is refused before validation. */
	jsonDepth: 32,
	/**
	 * Bytes a socket may have queued but unsent (it stopped reading). Past this the hub closes
	 * it with 4008 rather than buffer without bound; the client resumes from its last seq.
	 */
	socketBufferBytes: 4 * 1024 * 1024,
} as const;
