import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { MemoryApi, memoriesCount } from "../../lib/memories.ts";
import type { Route } from "../../lib/route.ts";
import { MemoryList } from "../../state/memory-list.ts";
import type { Session } from "../../state/session.ts";
import { MemoryAddForm } from "./MemoryAddForm.tsx";
import { MemoryRow } from "./MemoryRow.tsx";

/** Typing pauses this long (ms) before the search runs. */
const SEARCH_DEBOUNCE_MS = 250;

interface Props {
	session: Session;
	navigate: (route: Route) => void;
}

/**
 * What Sparky remembers about the user (`/api/memories`): add one, search (as you type),
 * pin, edit in place, delete, and see where each came from.
 */
export function MemoryPanel({ session, navigate }: Props) {
	const [, setVersion] = useState(0);
	const list = useMemo(() => new MemoryList(new MemoryApi(session.api), () => setVersion((v) => v + 1)), [session]);
	const [query, setQuery] = useState("");
	const heading = useRef<HTMLHeadingElement>(null);

	useEffect(() => {
		void list.reload();
	}, [list]);

	// The search runs once typing pauses; the first load above needs no wait.
	useEffect(() => {
		if (query === list.query) return;
		const timer = setTimeout(() => void list.search(query), SEARCH_DEBOUNCE_MS);
		return () => clearTimeout(timer);
	}, [query, list]);

	const searching = list.query.trim() !== "";
	return (
		<section class="panel memory-panel" aria-labelledby="panel-heading">
			<h2 id="panel-heading">Memory</h2>
			<p class="muted">
				What Sparky remembers about you. Pinned memories are part of every run; the others when they are relevant to
				what you ask. Only you can see them.
			</p>
			<MemoryAddForm list={list} />
			<section class="panel-section" aria-labelledby="memory-list-heading">
				<h3 id="memory-list-heading" ref={heading} tabIndex={-1}>
					Your memories
				</h3>
				<div class="inline-form memory-filters">
					<span class="field">
						<label for="memory-search">Search memories</label>
						<input
							id="memory-search"
							type="search"
							maxLength={500}
							placeholder="colour, birthday, …"
							value={query}
							onInput={(e) => setQuery(e.currentTarget.value)}
						/>
					</span>
					<label class="check">
						<input
							type="checkbox"
							checked={list.pinnedOnly}
							onChange={(e) => void list.showPinnedOnly(e.currentTarget.checked)}
						/>{" "}
						Pinned only
					</label>
				</div>
				<p class="muted memory-count" role="status">
					{list.loading && !list.loaded
						? "Loading…"
						: list.rows.length === 0
							? searching
								? "No memory matches your search."
								: list.pinnedOnly
									? "No pinned memories."
									: "No memories yet."
							: `${memoriesCount(list.rows.length)}${list.nextCursor ? " shown" : ""}${searching ? ", best matches first" : ""}`}
				</p>
				{list.error && (
					<p class="error" role="alert">
						{list.error}{" "}
						<button type="button" class="link" onClick={() => void list.reload()}>
							Retry
						</button>
					</p>
				)}
				<ul class="plain-list memory-list" aria-labelledby="memory-list-heading">
					{list.rows.map((memory) => (
						<MemoryRow
							key={memory.id}
							memory={memory}
							list={list}
							session={session}
							navigate={navigate}
							onDeleted={() => heading.current?.focus()}
						/>
					))}
				</ul>
				{list.nextCursor && (
					<button type="button" class="quiet" disabled={list.loading} onClick={() => void list.loadMore()}>
						{list.loading ? "Loading…" : "Load more"}
					</button>
				)}
			</section>
		</section>
	);
}
