import { useState } from "preact/hooks";
import { MemoryLimits } from "../../../../src/protocol/index.ts";
import { describeError } from "../../lib/api.ts";
import { parseTags } from "../../lib/memories.ts";
import type { MemoryList } from "../../state/memory-list.ts";

/** A memory written by the user (its source is "you"): text, tags, pinned or not. */
export function MemoryAddForm({ list }: { list: MemoryList }) {
	const [text, setText] = useState("");
	const [tags, setTags] = useState("");
	const [pinned, setPinned] = useState(false);
	const [busy, setBusy] = useState(false);
	const [error, setError] = useState<string | undefined>();
	const [saved, setSaved] = useState("");

	const add = async (e: Event) => {
		e.preventDefault();
		if (!text.trim() || busy) return;
		setBusy(true);
		setSaved("");
		try {
			const parsed = parseTags(tags);
			await list.add({ text: text.trim(), ...(parsed.length > 0 ? { tags: parsed } : {}), pinned });
			setText("");
			setTags("");
			setPinned(false);
			setError(undefined);
			setSaved(list.query.trim() ? "Saved. Clear the search to see it in the list." : "Saved.");
		} catch (cause) {
			setError(describeError(cause));
		} finally {
			setBusy(false);
		}
	};

	return (
		<section class="panel-section" aria-labelledby="memory-add-heading">
			<h3 id="memory-add-heading">Add a memory</h3>
			<form class="stack-form" onSubmit={add}>
				<label for="memory-new-text">Memory</label>
				<textarea
					id="memory-new-text"
					rows={2}
					required
					maxLength={MemoryLimits.textChars}
					placeholder="My favourite colour is teal."
					value={text}
					onInput={(e) => setText(e.currentTarget.value)}
				/>
				<div class="inline-form">
					<span class="field">
						<label for="memory-new-tags">Tags</label>
						<input
							id="memory-new-tags"
							placeholder="colour, home"
							aria-describedby="memory-tags-hint"
							value={tags}
							onInput={(e) => setTags(e.currentTarget.value)}
						/>
					</span>
					<label class="check">
						<input type="checkbox" checked={pinned} onChange={(e) => setPinned(e.currentTarget.checked)} /> Pinned
						(always in context)
					</label>
					<button type="submit" class="small" disabled={busy}>
						Add memory
					</button>
				</div>
				<p id="memory-tags-hint" class="hint">
					Optional: up to {MemoryLimits.tags} tags, separated by commas or spaces.
				</p>
			</form>
			{error && (
				<p class="error" role="alert">
					{error}
				</p>
			)}
			<p class="muted" role="status">
				{saved}
			</p>
		</section>
	);
}
