import { describeBudgetExceeded, parseBudgetExceeded } from "../src/client/index.ts";
import { timestamp } from "./output.ts";

/**
 * Exit codes and the one error type commands throw. `main.ts` prints a `CliError` (to stderr,
 * and as JSON on stdout with `--json`) and exits with its code. Documented in docs/cli.md.
 */
export const ExitCode = {
	ok: 0,
	/** Something went wrong (or, for `tasks watch`/`--watch`: the task failed or was cancelled). */
	error: 1,
	/** Bad arguments or options (also an API `validation_failed` / `bad_request`). */
	usage: 2,
	/** No token, a token the server refused (401), or not allowed (403). */
	auth: 3,
	notFound: 4,
	/** The server could not be reached (connection refused, DNS, timeout, not Sparky). */
	unreachable: 5,
	/** 409/422: already exists, already finished, duplicate task, reused Idempotency-Key. */
	conflict: 6,
	/** 429: a per-user rate limit; retry after the time given. */
	rateLimited: 7,
	/** Interrupted with Ctrl+C (128 + SIGINT). */
	interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class CliError extends Error {
	readonly exitCode: ExitCode;
	/** A short machine-readable code for `--json` (the API's `error.code` when it came from the API). */
	readonly code: string;
	/** The API's `details` (shown under the message). */
	readonly details: unknown;
	/** What to do about it. */
	readonly hint: string | undefined;
	/** Whether the human output lists `details` under the message (off when the message says it all). */
	printDetails = true;

	constructor(message: string, exitCode: ExitCode = ExitCode.error, code = "error", details?: unknown, hint?: string) {
		super(message);
		this.name = "CliError";
		this.exitCode = exitCode;
		this.code = code;
		this.details = details;
		this.hint = hint;
	}
}

/**
 * A spent day or month budget (402 `budget_exceeded`, over HTTP or as a socket frame's error):
 * which one, what was spent, when it resets. Exit 6, like the files quota.
 */
export function budgetExceededError(message: string, details: unknown): CliError {
	const budget = parseBudgetExceeded(details);
	const error = new CliError(
		budget ? describeBudgetExceeded(budget, timestamp) : message,
		ExitCode.conflict,
		"budget_exceeded",
		details,
		"`sparky budget` shows where you stand; an admin can raise your cap (`sparky budget set`)",
	);
	error.printDetails = !budget;
	return error;
}

export const usageError = (message: string, details?: unknown) =>
	new CliError(message, ExitCode.usage, "usage", details);

/** Exit code for an HTTP error status from the API. */
export function exitCodeForStatus(status: number, code?: string): ExitCode {
	if (status === 401 || status === 403) return ExitCode.auth;
	if (status === 404) return ExitCode.notFound;
	if (status === 409 || status === 422 || code === "conflict") return ExitCode.conflict;
	if (status === 429) return ExitCode.rateLimited;
	if (status === 400 || status === 413) return ExitCode.usage;
	return ExitCode.error;
}
