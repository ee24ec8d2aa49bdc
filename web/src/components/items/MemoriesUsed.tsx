import { useState } from "preact/hooks";
import type { RecalledMemories } from "../../../../src/client/index.ts";
import type { Memory } from "../../../../src/protocol/index.ts";
import { describeError } from "../../lib/api.ts";
import { memoriesCount } from "../../lib/memories.ts";

/** Reads one memory; null when it has been forgotten since. */
export type LoadMemory = (id: string) => Promise<Memory | null>;

type Shown = { memory: Memory } | { gone: true } | { error: string };

interface Props {
	recalled: RecalledMemories;
	load?: LoadMemory;
}

/**
 * "Used 3 memories" on a run's line: what it was given from long-term memory. Opened, the
 * memories themselves, read when first opened (a memory forgotten since says so).
 */
export function MemoriesUsed({ recalled, load }: Props) {
	// undefined: never opened; "loading": asked; a map: every id's answer.
	const [shown, setShown] = useState<Map<string, Shown> | "loading" | undefined>();
	const pinned = new Set(recalled.pinned);

	const onToggle = (e: Event) => {
		if (!(e.currentTarget as HTMLDetailsElement).open || shown || !load) return;
		setShown("loading");
		void Promise.all(
			recalled.ids.map(async (id): Promise<[string, Shown]> => {
				try {
					const memory = await load(id);
					return [id, memory ? { memory } : { gone: true }];
				} catch (error) {
					return [id, { error: describeError(error) }];
				}
			}),
		).then((entries) => setShown(new Map(entries)));
	};

	return (
		<details class="memories-used" onToggle={onToggle}>
			<summary>Used {memoriesCount(recalled.ids.length)}</summary>
			{shown === undefined || shown === "loading" ? (
				<p class="muted" role="status">
					{load ? "Loading…" : "Open the Memory panel to see them."}
				</p>
			) : (
				<ul class="memories-used-list">
					{recalled.ids.map((id) => (
						<UsedMemory key={id} id={id} shown={shown.get(id)} pinned={pinned.has(id)} />
					))}
				</ul>
			)}
		</details>
	);
}

function UsedMemory({ id, shown, pinned }: { id: string; shown: Shown | undefined; pinned: boolean }) {
	if (!shown || "error" in shown) {
		return (
			<li data-memory-id={id} class="error">
				Could not read this memory{shown ? `: ${shown.error}` : "."}
			</li>
		);
	}
	if ("gone" in shown) {
		return (
			<li data-memory-id={id} data-forgotten="true" class="muted">
				A memory forgotten since (it no longer exists).
			</li>
		);
	}
	return (
		<li data-memory-id={id}>
			{pinned && (
				<>
					<span class="badge badge-pinned">pinned</span>{" "}
				</>
			)}
			{shown.memory.text}
			{shown.memory.tags.length > 0 && <span class="muted"> · {shown.memory.tags.join(", ")}</span>}
		</li>
	);
}
