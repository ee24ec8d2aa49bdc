/**
 * Everything that decides how output looks: colours (only on a terminal; NO_COLOR and
 * FORCE_COLOR respected), tables, JSON for scripts, times and truncation, the spinner.
 * Human output goes to stdout, progress and errors to stderr; with `--json` stdout carries
 * JSON only.
 */
import Table from "cli-table3";
import pc from "picocolors";

type Colors = ReturnType<typeof pc.createColors>;

/** NO_COLOR (any value) wins; FORCE_COLOR=0/false turns colour off, any other value on; else: is it a terminal. */
export function colorEnabled(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
	if (env.NO_COLOR) return false;
	const force = env.FORCE_COLOR;
	if (force !== undefined && force !== "") return !/^(0|false)$/i.test(force);
	return Boolean(stream.isTTY) && env.TERM !== "dumb";
}

export interface Output {
	json: boolean;
	/** Colours for stdout and stderr (plain functions when colour is off). */
	c: Colors;
	ce: Colors;
	/** stdout / stderr are terminals. */
	tty: boolean;
	ttyErr: boolean;
	columns: number;
	/** A line (or lines) of human output on stdout; nothing with `--json`. */
	line(text?: string): void;
	/** Raw text on stdout (streaming). */
	write(text: string): void;
	/** A note on stderr (progress, hints): human mode only. */
	note(text: string): void;
	/** The one JSON document of a command (pretty when stdout is a terminal). */
	printJson(value: unknown): void;
	/** One line of NDJSON (for streams: `tasks watch --json`). */
	printJsonLine(value: unknown): void;
	spinner(text: string): Spinner;
}

export function createOutput(options: { json: boolean; color?: boolean }): Output {
	const { stdout, stderr } = process;
	const color = options.color !== false && !options.json;
	const c = pc.createColors(color && colorEnabled(stdout));
	const ce = pc.createColors(color && colorEnabled(stderr));
	const out: Output = {
		json: options.json,
		c,
		ce,
		tty: Boolean(stdout.isTTY),
		ttyErr: Boolean(stderr.isTTY),
		columns: stdout.columns || 100,
		line: (text = "") => {
			if (!options.json) stdout.write(`${text}\n`);
		},
		write: (text) => {
			if (!options.json) stdout.write(text);
		},
		note: (text) => {
			if (!options.json) stderr.write(`${text}\n`);
		},
		printJson: (value) => stdout.write(`${JSON.stringify(value, null, stdout.isTTY ? 2 : undefined)}\n`),
		printJsonLine: (value) => stdout.write(`${JSON.stringify(value)}\n`),
		spinner: (text) => createSpinner(text, { enabled: !options.json && Boolean(stderr.isTTY), colors: ce }),
	};
	return out;
}

// ---- tables ---------------------------------------------------------------------------------

/** A borderless table with a bold header; `widths` caps columns (0 = no cap) so long text wraps. */
export function table(out: Output, head: string[], rows: string[][], widths?: (number | null)[]): string {
	const t = new Table({
		head: head.map((h) => out.c.bold(h)),
		style: { head: [], border: [], "padding-left": 0, "padding-right": 2 },
		chars: {
			top: "",
			"top-mid": "",
			"top-left": "",
			"top-right": "",
			bottom: "",
			"bottom-mid": "",
			"bottom-left": "",
			"bottom-right": "",
			left: "",
			"left-mid": "",
			mid: "",
			"mid-mid": "",
			right: "",
			"right-mid": "",
			middle: "",
		},
		...(widths ? { colWidths: widths, wordWrap: true, wrapOnWordBoundary: false } : {}),
	});
	t.push(...rows);
	return t
		.toString()
		.split("\n")
		.map((l) => l.trimEnd())
		.join("\n");
}

/** Key/value lines, keys padded: for `get`/`show` commands. */
export function fields(out: Output, pairs: [string, string | undefined | null][]): string {
	const shown = pairs.filter((p): p is [string, string] => p[1] !== undefined && p[1] !== null && p[1] !== "");
	const width = Math.max(...shown.map(([k]) => k.length));
	return shown
		.map(([k, v]) => {
			const [first, ...rest] = v.split("\n");
			const pad = " ".repeat(width + 2);
			return [`${out.c.dim(k.padEnd(width))}  ${first}`, ...rest.map((r) => pad + r)].join("\n");
		})
		.join("\n");
}

// ---- text -----------------------------------------------------------------------------------

/** One line, at most `max` characters (with an ellipsis). */
export function oneLine(text: string, max: number): string {
	const flat = text.replace(/\s+/g, " ").trim();
	if (max <= 1) return flat.slice(0, Math.max(0, max));
	return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** `3s ago`, `in 5m`, `2h ago`, `3d ago`: one unit, for tables. */
export function relativeTime(ms: number | null | undefined, now = Date.now()): string {
	if (ms === null || ms === undefined) return "—";
	const diff = ms - now;
	const s = Math.round(Math.abs(diff) / 1000);
	if (s < 1) return "now";
	const text =
		s < 60
			? `${s}s`
			: s < 3600
				? `${Math.round(s / 60)}m`
				: s < 172_800
					? `${Math.round(s / 3600)}h`
					: `${Math.round(s / 86_400)}d`;
	return diff < 0 ? `${text} ago` : `in ${text}`;
}

/** `850ms`, `12s`, `3m 20s`, `2h 5m`, `3d 4h`. */
export function duration(ms: number): string {
	if (ms < 1000) return `${Math.round(ms)}ms`;
	const s = Math.round(ms / 1000);
	if (s < 60) return `${s}s`;
	const m = Math.floor(s / 60);
	if (m < 60) return s % 60 ? `${m}m ${s % 60}s` : `${m}m`;
	const h = Math.floor(m / 60);
	if (h < 48) return m % 60 ? `${h}h ${m % 60}m` : `${h}h`;
	const d = Math.floor(h / 24);
	return h % 24 ? `${d}d ${h % 24}h` : `${d}d`;
}

/** Local date and time, to the second: `2026-11-24 14:03:12`. */
export function timestamp(ms: number | null | undefined): string {
	if (ms === null || ms === undefined) return "—";
	const d = new Date(ms);
	const p = (n: number) => String(n).padStart(2, "0");
	return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/**
 * A task's status as people read it: a `succeeded` task whose tool calls failed or were denied
 * says so (`succeeded · 2 steps failed`), in yellow, not the green of a run that did it all.
 */
export function taskStatusText(out: Output, task: { status: string; tool_failures?: number }): string {
	const failures = task.tool_failures ?? 0;
	if (task.status !== "succeeded" || failures === 0) return statusColor(out, task.status);
	return out.c.yellow(`${task.status} · ${stepsFailed(failures)}`);
}

/** `1 step failed`, `2 steps failed`. */
export function stepsFailed(failures: number): string {
	return `${failures} step${failures === 1 ? "" : "s"} failed`;
}

export function statusColor(out: Output, status: string): string {
	const { c } = out;
	switch (status) {
		case "succeeded":
			return c.green(status);
		case "failed":
			return c.red(status);
		case "cancelled":
			return c.yellow(status);
		case "running":
			return c.cyan(status);
		case "awaiting_approval":
			return c.magenta(status);
		default:
			return c.dim(status);
	}
}

// ---- spinner --------------------------------------------------------------------------------

export interface Spinner {
	/** Changes the text (shown at the next frame). */
	update(text: string): void;
	/** Stops and clears the line. Safe to call twice. */
	stop(): void;
	readonly active: boolean;
}

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/** A one-line spinner on stderr, only when stderr is a terminal; it appears after `delayMs`. */
function createSpinner(
	text: string,
	{ enabled, colors, delayMs = 150 }: { enabled: boolean; colors: Colors; delayMs?: number },
): Spinner {
	let label = text;
	let frame = 0;
	let drawn = false;
	let stopped = false;
	let interval: ReturnType<typeof setInterval> | undefined;
	const draw = () => {
		process.stderr.write(`\r\x1b[2K${colors.cyan(FRAMES[frame++ % FRAMES.length] ?? "")} ${colors.dim(label)}`);
		drawn = true;
	};
	const timer = enabled
		? setTimeout(() => {
				if (stopped) return;
				draw();
				interval = setInterval(draw, 80);
			}, delayMs)
		: undefined;
	return {
		update(next) {
			label = next;
		},
		stop() {
			if (stopped) return;
			stopped = true;
			if (timer) clearTimeout(timer);
			if (interval) clearInterval(interval);
			if (drawn) process.stderr.write("\r\x1b[2K");
		},
		get active() {
			return drawn && !stopped;
		},
	};
}
