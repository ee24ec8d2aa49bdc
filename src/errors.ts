import { ErrorCode } from "./protocol/index.ts";

/**
 * What went wrong, in the domain's words. HTTP (`http/errors.ts`) maps a kind to a status,
 * the socket (`frames/errors.ts`) to an `error` frame; domain code never picks either.
 */
export type ErrorKind =
	| "invalid"
	| "unauthorized"
	| "forbidden"
	| "not_found"
	| "conflict"
	/** Well formed, but refused as it stands (an Idempotency-Key reused for another task). */
	| "unprocessable"
	| "too_large"
	| "rate_limited"
	/** A budget is spent (`budget_exceeded`): nothing more runs until it resets or is raised. */
	| "payment_required"
	/** Something it depends on (a hub, the queue) didn't answer; trying again may work. */
	| "unavailable";

/** The one error domain code throws for an expected failure; anything else is a bug. */
export class SparkyError extends Error {
	constructor(
		readonly kind: ErrorKind,
		readonly code: ErrorCode,
		message: string,
		readonly details?: unknown,
		/** Set for `rate_limited`: how long until the caller may try again. */
		readonly retryAfterMs?: number,
	) {
		super(message);
		this.name = "SparkyError";
	}
}

export const invalid = (message: string, details?: unknown) =>
	new SparkyError("invalid", ErrorCode.validationFailed, message, details);
export const invalidJson = (message: string) => new SparkyError("invalid", ErrorCode.invalidJson, message);
export const unauthorized = (message = "missing or invalid credentials") =>
	new SparkyError("unauthorized", ErrorCode.unauthorized, message);
export const forbidden = (message: string) => new SparkyError("forbidden", ErrorCode.forbidden, message);
export const notFound = (what: string) => new SparkyError("not_found", ErrorCode.notFound, `${what} not found`);
export const conflict = (message: string, details?: unknown) =>
	new SparkyError("conflict", ErrorCode.conflict, message, details);
export const unprocessable = (message: string, details?: unknown) =>
	new SparkyError("unprocessable", ErrorCode.conflict, message, details);
export const tooLarge = (message: string, details?: unknown) =>
	new SparkyError("too_large", ErrorCode.payloadTooLarge, message, details);

export const unavailable = (message: string) => new SparkyError("unavailable", ErrorCode.unavailable, message);

/** A per-user rate limit ran out; the caller may try again after `retryAfterMs`. */
export const rateLimited = (what: string, retryAfterMs: number) => {
	const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
	return new SparkyError(
		"rate_limited",
		ErrorCode.rateLimited,
		`too many ${what}; retry in ${seconds} s`,
		{ retry_after_ms: retryAfterMs },
		retryAfterMs,
	);
};
