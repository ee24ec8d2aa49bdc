import { Cron } from "croner";
import { parseDuration } from "../protocol/index.ts";

/** When a schedule fires: a fixed interval, or a five-field cron expression in a time zone. */
export type Timing =
	| { kind: "every"; everyMs: number; every: string }
	| { kind: "cron"; cron: string; timezone: string };

export interface TimingError {
	message: string;
	/** The cron field that is wrong, and where it starts (1-based column), when we can tell. */
	field?: string;
	position?: number;
}

/** The tick runs once a minute, so nothing can fire more often. */
const MIN_EVERY_MS = 60_000;
const FIELDS = ["minute", "hour", "day of month", "month", "day of week"] as const;

/**
 * Reads a schedule's timing. Cron expressions are checked with croner (the well-kept
 * parser), then narrowed to the classic five fields; a bad one says which field, where.
 */
export function parseTiming(input: {
	every?: string;
	cron?: string;
	timezone?: string;
}): { ok: true; timing: Timing } | { ok: false; error: TimingError } {
	const timezone = input.timezone ?? "UTC";
	if (!isTimeZone(timezone)) {
		return { ok: false, error: { message: `unknown time zone "${timezone}" (use an IANA name like Europe/Paris)` } };
	}
	if ((input.every === undefined) === (input.cron === undefined)) {
		return { ok: false, error: { message: 'give exactly one of "every" (e.g. "30m") or "cron" (e.g. "0 9 * * 1-5")' } };
	}
	if (input.every !== undefined) {
		const everyMs = parseDuration(input.every);
		if (everyMs === undefined)
			return {
				ok: false,
				error: { message: `"every" must be a duration like "30m", "2h" or "1d", got "${input.every}"` },
			};
		if (everyMs < MIN_EVERY_MS)
			return { ok: false, error: { message: `"every" must be at least 1m (schedules are checked once a minute)` } };
		return { ok: true, timing: { kind: "every", everyMs, every: input.every.trim().toLowerCase() } };
	}
	const cron = (input.cron ?? "").trim().replace(/\s+/g, " ");
	const fields = cron.split(" ");
	if (fields.length !== 5) {
		return {
			ok: false,
			error: {
				message: `a cron expression has five fields (minute hour day-of-month month day-of-week), got ${fields.length}`,
			},
		};
	}
	const broken = firstBadField(cron, fields);
	if (broken) return { ok: false, error: broken };
	const timing: Timing = { kind: "cron", cron, timezone };
	if (nextSlot(timing, Date.now()) === null) {
		return { ok: false, error: { message: `cron "${cron}" never fires (no date matches it)` } };
	}
	return { ok: true, timing };
}

/** The first slot strictly after `after` (ms), or null if there is none. */
export function nextSlot(timing: Timing, after: number): number | null {
	if (timing.kind === "every") return (Math.floor(after / timing.everyMs) + 1) * timing.everyMs;
	const next = new Cron(timing.cron, { timezone: timing.timezone, paused: true }).nextRun(new Date(after));
	return next ? next.getTime() : null;
}

function firstBadField(cron: string, fields: string[]): TimingError | undefined {
	try {
		new Cron(cron, { paused: true });
		return undefined;
	} catch (whole) {
		// Find the culprit: check each field alone, the others as "*".
		let column = 1;
		for (const [i, value] of fields.entries()) {
			const alone = fields.map((f, j) => (j === i ? f : "*")).join(" ");
			try {
				new Cron(alone, { paused: true });
			} catch (error) {
				return {
					message: `invalid ${FIELDS[i]} field "${value}" at column ${column}: ${detail(error)}`,
					field: FIELDS[i],
					position: column,
				};
			}
			column += value.length + 1;
		}
		return { message: `invalid cron expression: ${detail(whole)}` };
	}
}

function detail(error: unknown): string {
	return (error instanceof Error ? error.message : String(error)).replace(/^CronPattern:\s*/, "");
}

function isTimeZone(zone: string): boolean {
	try {
		new Intl.DateTimeFormat("en", { timeZone: zone });
		return true;
	} catch {
		return false;
	}
}
