/**
 * `sparky agent top`'s screen and its `--json` lines, from the board (src/client/board.ts):
 * pure functions of the board's view, the time and the terminal's size, so they are tested
 * without a terminal. The screen: a header with the counts, then the rows (waiting approvals
 * on top, running, queued, recently ended at the bottom), each clipped to the width and the
 * whole cut to the height (`… N more`).
 */
import type { BoardCounts, BoardRow, BoardView } from "../src/client/board.ts";
import { duration, type Output, oneLine } from "./output.ts";

type Colors = Output["c"];

export interface ScreenInfo {
	/** Who is signed in, and where. */
	user: string;
	url: string;
	/** `live`, `connecting`, `reconnecting…`. */
	link: string;
	/** The filters in force, as shown (`user=bob status=running`), or "". */
	filters: string;
	now: number;
	width: number;
	height: number;
	c: Colors;
}

const HEAD = ["TASK", "CREATOR", "STATUS", "NOW", "STEP", "TRY", "AGE"] as const;

/** The whole screen, one string per line, none wider than `info.width` (in characters). */
export function renderScreen(view: BoardView, info: ScreenInfo): string[] {
	const { c, width } = info;
	const lines: string[] = [];
	const clock = new Date(info.now).toTimeString().slice(0, 8);
	lines.push(fitLine(`sparky top · ${info.user} @ ${info.url} · ${info.link} · ${clock}`, width, c.bold));
	lines.push(fitLine(countsLine(view.counts), width));
	lines.push(fitLine(info.filters ? `filters: ${info.filters}   (q quits)` : "q quits", width, c.dim));

	const sections: [string, BoardRow[]][] = [
		["WAITING FOR APPROVAL", view.approvals],
		["RUNNING", view.running],
		["QUEUED", view.queued],
		["RECENTLY ENDED", view.ended],
	];
	const cells = sections.map(([, rows]) => rows.map((row) => rowCells(row, info.now)));
	const all = cells.flat();
	// Each column as wide as its widest cell; the instruction takes what is left.
	// NOW (the tool and its time, or the approval and who decides) gets more on a wide terminal.
	const caps = [32, 20, 12, width >= 140 ? 40 : 24, 5, 5, 8];
	const widths = HEAD.map((h, i) => Math.min(caps[i] ?? 20, Math.max(h.length, ...all.map((r) => r[i]?.length ?? 0))));
	const used = widths.reduce((sum, w) => sum + w + 2, 0);
	const instructionWidth = Math.max(0, width - used);
	const line = (parts: string[], instruction: string) =>
		fitLine(
			parts.map((p, i) => clip(p, widths[i] ?? 0).padEnd(widths[i] ?? 0)).join("  ") +
				(instructionWidth > 0 ? `  ${oneLine(instruction, instructionWidth - 2)}` : ""),
			width,
		);

	lines.push("");
	lines.push(c.bold(line([...HEAD], instructionWidth > 12 ? "INSTRUCTION" : "")));
	if (all.length === 0) {
		lines.push(c.dim("nothing to show: no task is running, waiting or recently ended"));
		return lines.slice(0, Math.max(1, info.height));
	}

	// What fits: every section keeps its title and at least one row while there is room;
	// approvals first, then running, queued, ended (the last shows "… N more" when cut).
	let room = info.height - lines.length;
	const shown = sections.map(() => 0);
	const nonEmpty = sections.map(([, rows], i) => (rows.length > 0 ? i : -1)).filter((i) => i >= 0);
	room -= nonEmpty.length; // the titles
	for (const i of nonEmpty) {
		const take = Math.min(1, room, sections[i]?.[1].length ?? 0);
		shown[i] = take;
		room -= take;
	}
	for (const i of nonEmpty) {
		const rest = (sections[i]?.[1].length ?? 0) - (shown[i] ?? 0);
		const take = Math.max(0, Math.min(rest, room));
		shown[i] = (shown[i] ?? 0) + take;
		room -= take;
	}
	for (const i of nonEmpty) {
		const [title, rows] = sections[i] ?? ["", []];
		let count = shown[i] ?? 0;
		const hidden = rows.length - count;
		// Room for "… N more" comes out of the rows.
		if (hidden > 0 && count > 0) count--;
		lines.push(c.dim(fitLine(`${title} (${rows.length})`, width)));
		rows.slice(0, count).forEach((row, j) => {
			const parts = cells[i]?.[j] ?? [];
			lines.push(colorRow(line(parts, row.instruction), row, c));
		});
		if (rows.length > count && (shown[i] ?? 0) > 0) lines.push(c.dim(fitLine(`… ${rows.length - count} more`, width)));
	}
	return lines.slice(0, Math.max(1, info.height));
}

/** `running 3 · queued 1 · waiting 0 · approval 1 · failed in the last hour 2`. */
export function countsLine(counts: BoardCounts): string {
	return [
		`running ${counts.running}`,
		`queued ${counts.queued}`,
		`waiting ${counts.waiting}`,
		`approval ${counts.approval}`,
		`failed (last hour) ${counts.failedLastHour}`,
	].join(" · ");
}

/** A row's cells, plain text: task, creator, status, what it does now, step, attempt, age. */
export function rowCells(row: BoardRow, now: number): string[] {
	return [
		row.id,
		row.userId || "?",
		statusText(row),
		nowText(row, now),
		row.step ? String(row.step) : "",
		row.attempt ? String(row.attempt) : "",
		ageText(row, now),
	];
}

function statusText(row: BoardRow): string {
	return row.status === "awaiting_approval" ? "approval" : row.status;
}

/** The tool being called and for how long; the approval waited for; an ended task's error. */
function nowText(row: BoardRow, now: number): string {
	if (row.tool) return `${row.tool.name} ${duration(Math.max(0, now - row.tool.since))}`;
	const approval = row.approvals[0];
	if (approval) return `${approval.tool}? ${approval.decider} decides`;
	if (row.error && (row.status === "failed" || row.status === "cancelled")) return oneLine(row.error, 22);
	return row.status === "running" ? "thinking" : "";
}

/** Running: since it started; queued or waiting: its wait; ended: how long it ran. */
function ageText(row: BoardRow, now: number): string {
	if (row.endedAt !== undefined) {
		return row.startedAt !== undefined ? duration(Math.max(0, row.endedAt - row.startedAt)) : "";
	}
	const since = row.status === "running" ? (row.startedAt ?? row.lastTs) : (row.createdAt ?? row.lastTs);
	return since ? duration(Math.max(0, now - since)) : "";
}

function colorRow(text: string, row: BoardRow, c: Colors): string {
	switch (row.status) {
		case "running":
			return c.cyan(text);
		case "awaiting_approval":
			return c.magenta(text);
		case "failed":
			return c.red(text);
		case "cancelled":
			return c.yellow(text);
		case "succeeded":
			return c.green(text);
		default:
			return c.dim(text);
	}
}

/** At most `max` characters, with an ellipsis when cut. */
function clip(text: string, max: number): string {
	const chars = [...text];
	if (chars.length <= max) return text;
	return max <= 1 ? chars.slice(0, max).join("") : `${chars.slice(0, max - 1).join("")}…`;
}

function fitLine(text: string, width: number, paint?: (s: string) => string): string {
	const clipped = clip(text, width);
	return paint ? paint(clipped) : clipped;
}

/** A row as one `--json` line's `task`: the board's facts, in the API's snake case. */
export function rowJson(row: BoardRow): Record<string, unknown> {
	return {
		id: row.id,
		kind: row.kind ?? null,
		user_id: row.userId || null,
		status: row.status,
		attempt: row.attempt,
		step: row.step,
		tool: row.tool ? { name: row.tool.name, since: row.tool.since } : null,
		last_tool: row.lastTool ?? null,
		approvals: row.approvals.map((a) => ({ id: a.id, tool: a.tool, decider: a.decider, expires_at: a.expiresAt })),
		instruction: row.instruction,
		model: row.model ?? null,
		tokens: row.tokens ?? null,
		cost_usd: row.costUsd ?? null,
		error: row.error ?? null,
		created_at: row.createdAt ?? null,
		started_at: row.startedAt ?? null,
		ended_at: row.endedAt ?? null,
	};
}

/** Every row of a view, in the screen's order. */
export const viewRows = (view: BoardView): BoardRow[] => [
	...view.approvals,
	...view.running,
	...view.queued,
	...view.ended,
];
