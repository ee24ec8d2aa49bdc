import { useEffect, useRef, useState } from "preact/hooks";
import type { BoardRow, BoardView } from "../../../src/client/board.ts";
import { formatUsd } from "../../../src/client/money.ts";
import { firstLine, formatDuration, relativeTime } from "../lib/format.ts";
import { type BadgeKind, StatusBadge } from "./StatusBadge.tsx";

/** Every row and heading is this tall (styles/board.css says the same): what windowing counts on. */
export const ROW_PX = 64;
/** Rows drawn above and below what shows, so a fast scroll doesn't flash empty space. */
const OVERSCAN = 6;

type Item = { kind: "heading"; id: string; text: string } | { kind: "row"; row: BoardRow; section: Section };
type Section = "approvals" | "running" | "queued" | "ended";

const HEADINGS: Record<Section, string> = {
	approvals: "Waiting for a decision",
	running: "Running",
	queued: "Queued",
	ended: "Recently ended",
};

interface Props {
	view: BoardView;
	now: number;
	selected: string | undefined;
	onOpen: (taskId: string) => void;
}

/**
 * The board's rows, a section each (approvals on top), in one scrolling list that draws only
 * the rows in sight: a thousand running tasks cost the page a screenful of elements.
 */
export function BoardRows({ view, now, selected, onOpen }: Props) {
	const scroller = useRef<HTMLDivElement>(null);
	const [sight, setSight] = useState({ top: 0, height: 600 });

	useEffect(() => {
		const el = scroller.current;
		if (!el) return;
		let frame = 0;
		const measure = () => {
			cancelAnimationFrame(frame);
			frame = requestAnimationFrame(() => setSight({ top: el.scrollTop, height: el.clientHeight }));
		};
		measure();
		el.addEventListener("scroll", measure, { passive: true });
		const resize = new ResizeObserver(measure);
		resize.observe(el);
		return () => {
			cancelAnimationFrame(frame);
			el.removeEventListener("scroll", measure);
			resize.disconnect();
		};
	}, []);

	const items: Item[] = [];
	for (const section of ["approvals", "running", "queued", "ended"] as const) {
		const rows = view[section];
		if (rows.length === 0) continue;
		items.push({ kind: "heading", id: `h:${section}`, text: `${HEADINGS[section]} (${rows.length})` });
		for (const row of rows) items.push({ kind: "row", row, section });
	}
	const first = Math.max(0, Math.floor(sight.top / ROW_PX) - OVERSCAN);
	const last = Math.min(items.length, Math.ceil((sight.top + sight.height) / ROW_PX) + OVERSCAN);

	return (
		<div class="board-scroller" ref={scroller}>
			{items.length === 0 && (
				<p class="muted empty">Nothing is running, waiting or queued, and nothing ended lately.</p>
			)}
			<ul class="board-rows" style={{ height: `${items.length * ROW_PX}px` }}>
				{items.slice(first, last).map((item, i) => {
					const index = first + i;
					const style = { transform: `translateY(${index * ROW_PX}px)` };
					if (item.kind === "heading") {
						return (
							<li key={item.id} class="board-heading" style={style}>
								<h3>{item.text}</h3>
							</li>
						);
					}
					return (
						<li
							key={item.row.id}
							class="board-row"
							style={style}
							data-task-id={item.row.id}
							data-status={item.row.status}
							aria-setsize={items.length}
							aria-posinset={index + 1}
						>
							<button
								type="button"
								class="board-open"
								aria-expanded={selected === item.row.id}
								aria-controls={selected === item.row.id ? "board-peek" : undefined}
								onClick={() => onOpen(item.row.id)}
							>
								<RowText row={item.row} section={item.section} now={now} />
							</button>
						</li>
					);
				})}
			</ul>
		</div>
	);
}

function RowText({ row, section, now }: { row: BoardRow; section: Section; now: number }) {
	const badge: BadgeKind = row.status === "unknown" ? "running" : row.status;
	return (
		<>
			<span class="board-line">
				<StatusBadge status={badge} />
				<span class="board-instruction">{firstLine(row.instruction, 160) || row.id}</span>
			</span>
			<span class="board-line board-meta">
				<span class="board-creator">{row.userId || "someone"}</span>
				<Detail row={row} section={section} now={now} />
			</span>
		</>
	);
}

function Detail({ row, section, now }: { row: BoardRow; section: Section; now: number }) {
	// Tokens and dollars so far (each model call's as it ends); a model without a price says so.
	const cost = row.costUsd === undefined ? "" : ` · ${formatUsd(row.costUsd)}`;
	const tokens = row.tokens ? ` · ${row.tokens.toLocaleString("en-US")} tokens${cost}` : cost;
	const attempt = row.attempt > 1 ? ` · attempt ${row.attempt}` : "";
	if (section === "approvals") {
		const waits = row.approvals.map((a) => `${a.tool} waits for ${a.decider}'s decision`).join("; ");
		return <span class="board-tool">{waits || "waits for a decision"}</span>;
	}
	if (section === "queued") {
		const since = row.createdAt ?? row.statusTs;
		return (
			<span>
				{row.status === "waiting" ? "waiting for other tasks" : "queued"} for {formatDuration(Math.max(0, now - since))}
				{attempt}
			</span>
		);
	}
	if (section === "ended") {
		const took = row.startedAt !== undefined && row.endedAt !== undefined ? row.endedAt - row.startedAt : undefined;
		return (
			<span>
				{took !== undefined ? `took ${formatDuration(took)} · ` : ""}ended {relativeTime(row.endedAt ?? now, now)}
				{tokens}
				{row.status === "failed" && row.error ? ` · ${firstLine(row.error, 80)}` : ""}
			</span>
		);
	}
	const step = row.step > 0 ? `step ${row.step}` : "starting";
	return (
		<span>
			{row.tool ? (
				<span class="board-tool">
					calling <code>{row.tool.name}</code> for {formatDuration(Math.max(0, now - row.tool.since))}
				</span>
			) : (
				<span>{step}</span>
			)}
			{row.tool ? ` · ${step}` : ""}
			{attempt}
			{row.startedAt !== undefined ? ` · running ${formatDuration(Math.max(0, now - row.startedAt))}` : ""}
			{tokens}
		</span>
	);
}
