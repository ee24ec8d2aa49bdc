import { useEffect, useState } from "preact/hooks";
import type { BoardFilter } from "../../../src/client/board.ts";
import { TaskStatusSchema } from "../../../src/protocol/index.ts";
import type { Route } from "../lib/route.ts";
import type { Session } from "../state/session.ts";
import { BoardChart } from "./BoardChart.tsx";
import { BoardRows } from "./BoardRows.tsx";
import { Home } from "./Home.tsx";
import { statusLabel } from "./StatusBadge.tsx";
import { TaskView } from "./TaskView.tsx";

/** Durations on the board move on by themselves, this often. */
const TICK_MS = 1000;

interface Props {
	session: Session;
	navigate: (route: Route) => void;
}

/**
 * The agent's live board (issue #31): the `agent` user's home. Counts, a chart of the last
 * hour, filters, and a row per task: approvals on top, what runs and the tool it calls now
 * (for how long, ticking), what waits in the queue, what ended lately. A row opens the task's
 * whole stream below the board, in place. State: `session.board` (state/board.ts).
 */
export function AgentBoard({ session, navigate }: Props) {
	const feed = session.board;
	const [, setTick] = useState(0);
	const [filter, setFilter] = useState<BoardFilter>({});

	useEffect(() => {
		const timer = setInterval(() => setTick((n) => n + 1), TICK_MS);
		return () => clearInterval(timer);
	}, []);

	// A row opened: its stream is below the board (off screen on a phone), so it comes into view.
	useEffect(() => {
		if (session.peeked) document.getElementById("board-peek")?.scrollIntoView({ block: "start" });
	}, [session.peeked]);

	// Rendered once per frame at most (session updates are throttled), and every second: the clock of this render.
	const at = Date.now();
	const view = feed.board.view(at, filter);
	const c = view.counts;
	const peeked = session.peeked;
	const set = (change: BoardFilter) => setFilter({ ...filter, ...change });

	return (
		<section class="board" aria-labelledby="board-heading">
			<div class="board-top">
				<h2 id="board-heading">Agent board</h2>
				<ul class="board-counts" aria-label="Counts">
					<li data-count="running">
						<strong>{c.running}</strong> running
					</li>
					<li data-count="queued">
						<strong>{c.queued}</strong> queued
					</li>
					<li data-count="approval">
						<strong>{c.approval}</strong> {statusLabel("awaiting_approval")}
					</li>
					<li data-count="waiting">
						<strong>{c.waiting}</strong> waiting
					</li>
					<li data-count="failed">
						<strong>{c.failedLastHour}</strong> failed in the last hour
					</li>
				</ul>
				<BoardChart series={feed.board.series(at)} />
			</div>
			{feed.mode === "poll" && (
				<p class="muted">
					Read from the API every few seconds: an admin's connection doesn't carry other users' runs, so the tool each
					task is calling shows only to the <code>agent</code> user.
				</p>
			)}
			{feed.error && (
				<p class="error banner" role="alert">
					Could not read the board: {feed.error}{" "}
					<button type="button" class="link" onClick={() => void feed.reload()}>
						Retry
					</button>
				</p>
			)}
			<div class="board-filters filter-row">
				<label for="board-creator">Who asked</label>
				<select
					id="board-creator"
					value={filter.creator ?? ""}
					onChange={(e) => set({ creator: e.currentTarget.value || undefined })}
				>
					<option value="">Anyone</option>
					{view.creators.map((u) => (
						<option key={u} value={u}>
							{u}
						</option>
					))}
				</select>
				<label for="board-status">State</label>
				<select
					id="board-status"
					value={filter.status ?? ""}
					onChange={(e) => set({ status: (e.currentTarget.value || undefined) as BoardFilter["status"] })}
				>
					<option value="">Any</option>
					<option value="active">Not ended</option>
					{TaskStatusSchema.options.map((s) => (
						<option key={s} value={s}>
							{statusLabel(s)}
						</option>
					))}
				</select>
				<label for="board-tool">Tool</label>
				<select
					id="board-tool"
					value={filter.tool ?? ""}
					onChange={(e) => set({ tool: e.currentTarget.value || undefined })}
				>
					<option value="">Any</option>
					{view.tools.map((t) => (
						<option key={t} value={t}>
							{t}
						</option>
					))}
				</select>
			</div>
			{!feed.loaded && <p class="muted">Loading the board…</p>}
			<BoardRows view={view} now={at} selected={peeked} onOpen={(id) => session.peek(peeked === id ? undefined : id)} />
			{peeked && (
				<div id="board-peek" class="board-peek">
					<div class="board-peek-actions">
						<button type="button" class="quiet" onClick={() => session.peek(undefined)}>
							Close
						</button>
						<a
							href={`/task/${encodeURIComponent(peeked)}`}
							onClick={(e) => {
								e.preventDefault();
								navigate({ kind: "task", id: peeked });
							}}
						>
							Open on its own page
						</a>
					</div>
					<TaskView key={peeked} session={session} taskId={peeked} navigate={navigate} />
				</div>
			)}
			<Home session={session} navigate={navigate} />
		</section>
	);
}
