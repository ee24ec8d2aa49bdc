import { useEffect, useRef, useState } from "preact/hooks";
import { TaskStatusSchema, UserIdSchema } from "../../../src/protocol/index.ts";
import type { ActivityFilters as Filters } from "../state/activity.ts";
import type { Session } from "../state/session.ts";

const SEARCH_DELAY_MS = 300;

/** Search (server-side, as you type) and the status, kind and creator filters of the activity list. */
export function ActivityFilters({ session, watcher }: { session: Session; watcher: boolean }) {
	const activity = session.activity;
	const f = activity.filters;
	const [q, setQ] = useState(f.q ?? "");
	const [user, setUser] = useState(f.user ?? "");
	const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
	const set = (change: Partial<Filters>) => void activity.setFilters(change);

	useEffect(() => () => clearTimeout(timer.current), []);
	const onSearch = (value: string) => {
		setQ(value);
		clearTimeout(timer.current);
		timer.current = setTimeout(() => set({ q: value.trim().slice(0, 200) || undefined }), SEARCH_DELAY_MS);
	};
	const userValid = user.trim() === "" || UserIdSchema.safeParse(user.trim().toLowerCase()).success;
	const applyUser = () => {
		const id = user.trim().toLowerCase();
		if (!userValid || id === (f.user ?? "")) return;
		set({ user: id || undefined });
	};

	return (
		<div class="filters">
			<label for="task-search" class="visually-hidden">
				Search tasks
			</label>
			<input
				id="task-search"
				type="search"
				placeholder="Search tasks"
				maxLength={200}
				value={q}
				onInput={(e) => onSearch(e.currentTarget.value)}
			/>
			<div class="filter-row">
				<label for="task-filter">Status</label>
				<select
					id="task-filter"
					value={f.status ?? ""}
					onChange={(e) => set({ status: (e.currentTarget.value || undefined) as Filters["status"] })}
				>
					<option value="">All</option>
					{TaskStatusSchema.options.map((status) => (
						<option key={status} value={status}>
							{status}
						</option>
					))}
				</select>
				<label for="task-kind">Kind</label>
				<select id="task-kind" value={f.kind} onChange={(e) => set({ kind: e.currentTarget.value as Filters["kind"] })}>
					<option value="task">Tasks</option>
					<option value="chat">Chat turns</option>
					<option value="all">Both</option>
				</select>
			</div>
			{watcher && (
				<div class="filter-row">
					<label for="task-user">Creator</label>
					<input
						id="task-user"
						type="text"
						placeholder="any user id"
						autoComplete="off"
						spellcheck={false}
						value={user}
						onInput={(e) => setUser(e.currentTarget.value)}
						onChange={applyUser}
						onKeyDown={(e) => e.key === "Enter" && applyUser()}
						aria-invalid={!userValid}
						aria-describedby={userValid ? undefined : "task-user-error"}
					/>
					{!userValid && (
						<span id="task-user-error" class="field-error">
							Not a user id (a-z, 0-9, _ . -)
						</span>
					)}
				</div>
			)}
		</div>
	);
}
