import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { type ErrorKind, SparkyError } from "../errors.ts";
import { log } from "../log.ts";
import { type ErrorBody, ErrorCode } from "../protocol/index.ts";

/** The one place a domain error becomes an HTTP status. */
const STATUS: Record<ErrorKind, ContentfulStatusCode> = {
	invalid: 400,
	unauthorized: 401,
	forbidden: 403,
	not_found: 404,
	conflict: 409,
	too_large: 413,
	unprocessable: 422,
	rate_limited: 429,
	payment_required: 402,
	unavailable: 503,
};

export function statusOf(error: SparkyError): ContentfulStatusCode {
	return STATUS[error.kind];
}

export function errorBody(code: string, message: string, details?: unknown): ErrorBody {
	return { error: details === undefined ? { code, message } : { code, message, details } };
}

/** A response in the one JSON error shape, for statuses only HTTP has (426, 500, …). */
export function errorResponse(
	status: ContentfulStatusCode,
	code: ErrorCode,
	message: string,
	details?: unknown,
	headers?: Record<string, string>,
): Response {
	return Response.json(errorBody(code, message, details), { status, headers });
}

/** A domain error as HTTP: its status, the JSON error shape, and the headers the status calls for. */
export function domainErrorResponse(error: SparkyError): Response {
	const headers: Record<string, string> = {};
	if (error.kind === "unauthorized") headers["WWW-Authenticate"] = 'Bearer realm="sparky"';
	if (error.kind === "rate_limited" && error.retryAfterMs !== undefined) {
		headers["Retry-After"] = String(Math.max(1, Math.ceil(error.retryAfterMs / 1000)));
	}
	return errorResponse(statusOf(error), error.code, error.message, error.details, headers);
}

/** Central error handler: domain errors keep their meaning, anything else is logged and a plain 500. */
export function onError(error: Error, c: Context): Response {
	if (error instanceof SparkyError) return domainErrorResponse(error);
	if (error instanceof HTTPException) {
		const malformed = error.status === 400 && /json/i.test(error.message);
		const code = malformed
			? ErrorCode.invalidJson
			: error.status === 413
				? ErrorCode.payloadTooLarge
				: ErrorCode.badRequest;
		return errorResponse(error.status as ContentfulStatusCode, code, error.message);
	}
	log.error("unhandled error", { method: c.req.method, path: c.req.path, error });
	return errorResponse(500, ErrorCode.internal, "internal error");
}

export function onNotFound(c: Context): Response {
	return errorResponse(404, ErrorCode.notFound, `no route for ${c.req.method} ${c.req.path}`);
}
