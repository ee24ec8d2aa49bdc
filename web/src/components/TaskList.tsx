import { useEffect, useMemo, useState } from "preact/hooks";
import { exactTime, firstLine, relativeTime } from "../lib/format.ts";
import { onNavClick } from "../lib/nav-click.ts";
import type { Route } from "../lib/route.ts";
import { seenStore } from "../lib/seen-store.ts";
import type { ActivityRow } from "../state/activity.ts";
import type { Session } from "../state/session.ts";
import { ActivityFilters } from "./ActivityFilters.tsx";
import { ErrorNote } from "./ErrorNote.tsx";
import { NewTaskForm } from "./NewTaskForm.tsx";
import { StatusBadge } from "./StatusBadge.tsx";

interface Props {
	session: Session;
	navigate: (route: Route) => void;
}

/** Re-renders every `ms` (relative times stay true). */
function useNow(ms: number): number {
	const [now, setNow] = useState(Date.now());
	useEffect(() => {
		const timer = setInterval(() => setNow(Date.now()), ms);
		return () => clearInterval(timer);
	}, [ms]);
	return now;
}

/**
 * Tasks (and, on request, chat turns) in the order they were made, newest first: rows keep
 * their place while they run. Search and filters ask the server; "Load more" pages on.
 */
export function TaskList({ session, navigate }: Props) {
	const activity = session.activity;
	const now = useNow(30_000);
	const seen = useMemo(() => seenStore(session.me.user_id), [session]);
	const watcher = session.me.user_id === "agent" || session.me.role === "admin";
	const route = session.route;
	const openId = route.kind === "task" ? route.id : undefined;
	const changedAt = (row: ActivityRow) => Math.max(row.updated_at, session.timeline.task(row.id)?.updatedAt ?? 0);

	const open = openId ? activity.rows.find((r) => r.id === openId) : undefined;
	const openChanged = open ? changedAt(open) : 0;
	useEffect(() => {
		if (open) seen.mark(open.id, openChanged);
	}, [open?.id, openChanged]);

	const f = activity.filters;
	const filtered = Boolean(f.status || f.q || f.user || f.kind !== "task");
	return (
		<section class="side-section" aria-labelledby="activity-heading">
			<div class="side-head">
				<h2 id="activity-heading">Agent activity</h2>
			</div>
			<NewTaskForm session={session} navigate={navigate} />
			<ActivityFilters session={session} watcher={watcher} />
			<ErrorNote error={activity.error} />
			{activity.rows.length === 0 ? (
				<p class="muted">{activity.loading ? "Loading…" : filtered ? "No tasks match." : "No tasks yet."}</p>
			) : (
				<ul class="side-list" aria-label="Tasks" aria-busy={activity.loading}>
					{activity.rows.map((row) => {
						const live = session.timeline.task(row.id);
						const status = live?.status ?? row.status;
						const current = row.id === openId;
						const unread = !current && ((live?.unread ?? 0) > 0 || seen.isNew(row.id, changedAt(row)));
						return (
							<li key={row.id}>
								<a
									href={`/task/${row.id}`}
									class="side-link task-link"
									aria-current={current ? "page" : undefined}
									data-task-id={row.id}
									data-unread={unread ? "true" : undefined}
									onClick={(e) => onNavClick(e, () => navigate({ kind: "task", id: row.id }))}
								>
									<span class="side-title">
										{unread && (
											<span class="unread-dot" title="New since you last opened it">
												<span class="visually-hidden">New: </span>
											</span>
										)}
										{firstLine(row.instruction || live?.instruction, 90) || row.id}
									</span>
									<span class="side-meta">
										<StatusBadge
											status={
												status !== "awaiting_approval" && session.timeline.waitsForApproval("task", row.id)
													? "awaiting_approval"
													: status
											}
										/>
										{row.kind === "chat" && <span class="kind-tag">chat</span>}
										{watcher && <span class="creator">by {row.user_id}</span>}
										<time dateTime={new Date(row.created_at).toISOString()} title={exactTime(row.created_at)}>
											{relativeTime(row.created_at, now)}
										</time>
									</span>
								</a>
							</li>
						);
					})}
				</ul>
			)}
			{(activity.nextCursor || activity.trimmed) && (
				<button
					type="button"
					class="quiet small load-more"
					disabled={activity.loading}
					onClick={() => void activity.loadMore()}
				>
					{activity.loading ? "Loading…" : "Load more"}
				</button>
			)}
		</section>
	);
}
