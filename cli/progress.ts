/**
 * A transfer's progress on stderr: a bar with the bytes so far, the share and the speed. Only
 * for a large file (1 MiB or more: a small one is done before a bar could say anything), only
 * when stderr is a terminal and the output is not `--json`.
 */
import type { Output } from "./output.ts";

export interface Progress {
	/** `n` more bytes went. */
	advance(n: number): void;
	/** Clears the bar. Safe to call twice. */
	stop(): void;
}

const REDRAW_MS = 100;
const LARGE_BYTES = 1024 * 1024;
const BAR_CELLS = 24;

/** Progress of `total` bytes called `label`. */
export function progressBar(out: Output, label: string, total: number): Progress {
	const enabled = out.ttyErr && !out.json && total >= LARGE_BYTES;
	const started = Date.now();
	let done = 0;
	let drawn = false;
	let lastDraw = 0;
	let stopped = false;
	const draw = () => {
		const now = Date.now();
		lastDraw = now;
		const line = progressLine(label, done, total, now - started, process.stderr.columns || 80);
		process.stderr.write(`\r\x1b[2K${out.ce.cyan(line.bar)}${line.text}`);
		drawn = true;
	};
	return {
		advance(n) {
			done += n;
			if (!enabled || stopped) return;
			// The first bytes, then at most ten times a second, and the last ones (100% is seen).
			if (!drawn || done >= total || Date.now() - lastDraw >= REDRAW_MS) draw();
		},
		stop() {
			if (stopped) return;
			stopped = true;
			if (drawn) process.stderr.write("\r\x1b[2K");
		},
	};
}

/** The bar and the words after it, fitted into `columns`: `████░░░░ 45% 11.3 MiB of 25.0 MiB · 3.1 MiB/s report.pdf`. */
export function progressLine(
	label: string,
	done: number,
	total: number,
	elapsedMs: number,
	columns: number,
): { bar: string; text: string } {
	const share = total > 0 ? Math.min(1, done / total) : 1;
	const filled = Math.round(share * BAR_CELLS);
	const bar = "█".repeat(filled) + "░".repeat(BAR_CELLS - filled);
	const speed = elapsedMs > 0 ? ` · ${formatBytes((done * 1000) / elapsedMs)}/s` : "";
	const words = ` ${String(Math.floor(share * 100)).padStart(3)}% ${formatBytes(done)} of ${formatBytes(total)}${speed} `;
	const room = Math.max(0, columns - 1 - BAR_CELLS - words.length);
	const name = label.length > room ? (room > 1 ? `${label.slice(0, room - 1)}…` : "") : label;
	return { bar, text: words + name };
}

/**
 * `812 B`, `4.2 KiB`, `25.0 MiB`, `1.3 GiB`: binary units, as the server's limits are counted
 * (SPARKY_MAX_FILE_MB=25 is 25 MiB).
 */
export function formatBytes(n: number): string {
	if (n < 1024) return `${Math.round(n)} B`;
	const units = ["KiB", "MiB", "GiB", "TiB"];
	let value = n / 1024;
	let unit = 0;
	while (value >= 1023.95 && unit < units.length - 1) {
		value /= 1024;
		unit++;
	}
	return `${value.toFixed(1)} ${units[unit]}`;
}
