export interface BackoffOptions {
	/** First delay, in ms. */
	baseMs?: number;
	/** Largest delay, in ms. */
	maxMs?: number;
	/** Source of randomness in [0, 1); injectable for tests. */
	random?: () => number;
}

/**
 * Exponential backoff with "equal jitter": half the delay is fixed, half random, so a
 * fleet of clients dropped together does not reconnect together.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
	const { baseMs = 500, maxMs = 30_000, random = Math.random } = options;
	const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt));
	return Math.round(ceiling / 2 + (ceiling / 2) * random());
}
