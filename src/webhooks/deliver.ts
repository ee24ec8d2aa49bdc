import type { DeliveryRow } from "../storage/webhooks.ts";
import { signatureHeader } from "./signing.ts";
import { checkWebhookUrl, originOf } from "./url.ts";

/** One attempt at most this long (then it counts as failed and is retried). */
export const DELIVERY_TIMEOUT_MS = 10_000;
/** Waits after the 1st, 2nd… failed attempt; hourly after the last. */
export const RETRY_DELAYS_MS = [30_000, 2 * 60_000, 10 * 60_000, 30 * 60_000, 60 * 60_000] as const;
/** No attempt is made later than this after the first one: the delivery fails instead. */
export const RETRY_WINDOW_MS = 24 * 60 * 60_000;

/** The wait after `failedAttempts` failed attempts (1-based). */
export function retryDelayMs(failedAttempts: number): number {
	return RETRY_DELAYS_MS[Math.max(0, failedAttempts - 1)] ?? 60 * 60_000;
}

export type AttemptOutcome =
	| { ok: true; statusCode: number }
	/** `final`: trying again can't help (the network guard refuses the URL now). */
	| { ok: false; statusCode: number | null; error: string; final?: boolean };

export interface SendOptions {
	allow: readonly string[];
	secret: string;
	now: number;
	fetch?: typeof fetch;
	timeoutMs?: number;
}

/**
 * One POST of a delivery's body, signed with `secret` at `now`. 2xx is delivered; anything
 * else (a redirect too: it is not followed), a network error or the timeout is a failure.
 * The URL passes the network guard again first. Errors name the origin, never the URL.
 */
export async function sendDelivery(row: DeliveryRow, options: SendOptions): Promise<AttemptOutcome> {
	const checked = checkWebhookUrl(row.url, options.allow);
	if (!checked.ok) return { ok: false, statusCode: null, error: `refused: ${checked.reason}`, final: true };
	const fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
	const timeoutMs = options.timeoutMs ?? DELIVERY_TIMEOUT_MS;
	let response: Response;
	try {
		response = await fetchImpl(checked.url.href, {
			method: "POST",
			headers: {
				"Content-Type": "application/json",
				"User-Agent": "Sparky-Webhooks/1",
				"Sparky-Delivery": row.id,
				"Sparky-Event": row.type,
				"Sparky-Signature": await signatureHeader(options.secret, options.now, row.body),
			},
			body: row.body,
			redirect: "manual",
			signal: AbortSignal.timeout(timeoutMs),
		});
	} catch (error) {
		const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
		const message = timedOut
			? `no answer within ${timeoutMs / 1000} s`
			: `could not reach ${originOf(row.url)}: ${scrub(error instanceof Error ? error.message : String(error), row.url)}`;
		return { ok: false, statusCode: null, error: message };
	}
	// The receiver's answer is not read (only its status counts); free the connection.
	await response.body?.cancel().catch(() => undefined);
	if (response.status >= 200 && response.status < 300) return { ok: true, statusCode: response.status };
	const redirect = response.status >= 300 && response.status < 400 ? " (redirects are not followed)" : "";
	return { ok: false, statusCode: response.status, error: `HTTP ${response.status}${redirect}` };
}

/** An error message without the URL in it (only its origin), at most 300 characters. */
function scrub(message: string, url: string): string {
	return message.split(url).join(originOf(url)).slice(0, 300);
}
