/**
 * When this browser last looked at each task, in localStorage, so the activity list can mark
 * what changed since (an unread dot). What changed before the first visit counts as seen:
 * a watcher with hundreds of old tasks doesn't start with hundreds of dots.
 */
const MAX_ENTRIES = 500;

export interface SeenStore {
	/** Whether something happened at `changedAt` that the user hasn't looked at. */
	isNew(id: string, changedAt: number): boolean;
	/** The user looked at it, having seen everything up to `changedAt`. */
	mark(id: string, changedAt: number): void;
}

/** The part of `localStorage` used here (and a test's stand-in). */
export interface KeyValueStore {
	getItem(key: string): string | null;
	setItem(key: string, value: string): void;
}

interface Saved {
	since: number;
	seen: Record<string, number>;
}

export function seenStore(
	userId: string,
	storage: KeyValueStore | undefined = (globalThis as { localStorage?: KeyValueStore }).localStorage,
	now = Date.now(),
): SeenStore {
	const key = `sparky.seen.${userId}`;
	const saved = read(storage, key) ?? { since: now, seen: {} };
	const save = () => {
		const entries = Object.entries(saved.seen);
		// Oldest marks go first when the list grows past its cap.
		if (entries.length > MAX_ENTRIES) {
			entries.sort((a, b) => b[1] - a[1]);
			saved.seen = Object.fromEntries(entries.slice(0, MAX_ENTRIES));
		}
		try {
			storage?.setItem(key, JSON.stringify(saved));
		} catch {
			// Private mode or full: the dots last for this page only.
		}
	};
	save();
	return {
		isNew: (id, changedAt) => changedAt > (saved.seen[id] ?? saved.since),
		mark: (id, changedAt) => {
			if ((saved.seen[id] ?? 0) >= changedAt) return;
			saved.seen[id] = changedAt;
			save();
		},
	};
}

function read(storage: KeyValueStore | undefined, key: string): Saved | undefined {
	try {
		const value = JSON.parse(storage?.getItem(key) ?? "null") as Saved | null;
		if (value && typeof value.since === "number" && value.seen && typeof value.seen === "object") return value;
	} catch {
		// unreadable: start again
	}
	return undefined;
}
