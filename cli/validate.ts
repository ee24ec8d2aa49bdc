/**
 * Arguments checked before anything is sent, with the same zod schemas the Worker uses
 * (src/protocol): a bad argument is a usage error (exit 2) that names the problem.
 */
import { InvalidArgumentError } from "commander";
import type { z } from "zod";
import { describeIssues, OpaqueIdSchema, parseDuration } from "../src/protocol/index.ts";
import { usageError } from "./errors.ts";

/**
 * Parses `value` with `schema`; otherwise a usage error naming each problem. `flags` maps a
 * field (the first path segment) to the option it came from, so `max_attempts` reads `--max-attempts`.
 */
export function check<S extends z.ZodType>(
	schema: S,
	value: unknown,
	what: string,
	flags: Record<string, string> = {},
): z.output<S> {
	const result = schema.safeParse(value);
	if (result.success) return result.data;
	const problems = describeIssues(result.error).map(({ path, message }) => {
		const [head = "", ...rest] = path.split(".");
		const flag = flags[head];
		if (flag) return `${flag}${rest.length ? ` (${rest.join(".")})` : ""}: ${message}`;
		return path === "(root)" ? message : `${path}: ${message}`;
	});
	if (problems.length === 1) throw usageError(`invalid ${what}: ${problems[0]}`);
	throw usageError(`invalid ${what}`, problems);
}

/** An id the service handed out (task, chat, token). */
export const checkId = (value: string, what: string): string => check(OpaqueIdSchema, value, what);

/** commander argParser for a positive whole number. */
export function integer(value: string): number {
	if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError("expected a whole number.");
	return Number(value);
}

/** commander argParser for an amount of US dollars (`0.5`, `$2`, `10.00`); its range is the schema's to check. */
export function dollars(value: string): number {
	const text = value.trim().replace(/^\$/, "");
	if (!/^\d+(\.\d+)?$|^\.\d+$/.test(text))
		throw new InvalidArgumentError("expected an amount of US dollars, e.g. 0.50.");
	return Number(text);
}

/** commander argParser that collects a repeatable option. */
export function collect(value: string, previous: string[] = []): string[] {
	return [...previous, value];
}

/**
 * `-m key=value` (a string) or `-m key:=json` (any JSON value: numbers, booleans, objects),
 * repeated; the result is checked against the protocol's metadata schema by the caller.
 */
export function parseMetadata(pairs: readonly string[]): Record<string, unknown> | undefined {
	if (pairs.length === 0) return undefined;
	const metadata: Record<string, unknown> = {};
	for (const pair of pairs) {
		const json = /^([^=:]+):=(.*)$/s.exec(pair);
		if (json) {
			const [, key = "", raw = ""] = json;
			try {
				metadata[key.trim()] = JSON.parse(raw);
			} catch {
				throw usageError(`invalid -m ${pair}: the value after := must be JSON (e.g. -m count:=3, -m tags:='["a"]')`);
			}
			continue;
		}
		const eq = pair.indexOf("=");
		if (eq <= 0) throw usageError(`invalid -m ${pair}: expected key=value (or key:=json)`);
		metadata[pair.slice(0, eq).trim()] = pair.slice(eq + 1);
	}
	return metadata;
}

/**
 * `--created-before`: an ISO date (`2026-11-01`), a date-time with offset, or an age like
 * `7d` / `12h` (older than that). Returns what `POST /api/tasks/clear` accepts.
 */
export function parseBefore(value: string, now = Date.now()): number | string {
	const age = parseDuration(value);
	if (age !== undefined) return now - age;
	if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
	const ms = Date.parse(value);
	if (Number.isNaN(ms)) {
		throw usageError(
			`invalid --created-before "${value}": use a date (2026-11-01), a date-time (2026-11-01T09:00:00Z) or an age (7d, 12h)`,
		);
	}
	return ms;
}
