import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { log } from "../log.ts";
import { type ErrorBody, ErrorCode } from "../protocol/index.ts";

/**
 * The one error handlers throw. `onError` turns it into the one JSON error shape:
 * `{ "error": { "code", "message", "details"? } }`.
 */
export class ApiError extends Error {
	constructor(
		readonly status: ContentfulStatusCode,
		readonly code: ErrorCode,
		message: string,
		readonly details?: unknown,
		readonly headers?: Record<string, string>,
	) {
		super(message);
		this.name = "ApiError";
	}
}

export const notFound = (what: string) => new ApiError(404, ErrorCode.notFound, `${what} not found`);
export const conflict = (message: string, details?: unknown) => new ApiError(409, ErrorCode.conflict, message, details);

/** 429 with Retry-After (whole seconds), for a per-user rate limit. */
export const rateLimited = (what: string, retryAfterMs: number) => {
	const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
	return new ApiError(
		429,
		ErrorCode.rateLimited,
		`too many ${what}; retry in ${seconds} s`,
		{ retry_after_ms: retryAfterMs },
		{
			"Retry-After": String(seconds),
		},
	);
};

export function errorBody(code: string, message: string, details?: unknown): ErrorBody {
	return { error: details === undefined ? { code, message } : { code, message, details } };
}

export function errorResponse(error: ApiError): Response {
	return Response.json(errorBody(error.code, error.message, error.details), {
		status: error.status,
		headers: error.headers,
	});
}

/** Central error handler: known errors keep their status, anything else is logged and a plain 500. */
export function onError(error: Error, c: Context): Response {
	if (error instanceof ApiError) return errorResponse(error);
	if (error instanceof HTTPException) {
		const malformed = error.status === 400 && /json/i.test(error.message);
		const code = malformed
			? ErrorCode.invalidJson
			: error.status === 413
				? ErrorCode.payloadTooLarge
				: ErrorCode.badRequest;
		return errorResponse(new ApiError(error.status as ContentfulStatusCode, code, error.message));
	}
	log.error("unhandled error", { method: c.req.method, path: c.req.path, error });
	return errorResponse(new ApiError(500, ErrorCode.internal, "internal error"));
}

export function onNotFound(c: Context): Response {
	return errorResponse(new ApiError(404, ErrorCode.notFound, `no route for ${c.req.method} ${c.req.path}`));
}
