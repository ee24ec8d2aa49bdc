/** Names that tell chats apart in the sidebar, though many begin with the same words. */

export interface NamedChat {
	id: string;
	title: string;
	createdAt: number;
}

/**
 * Each chat's visible name: its title, and when another chat has the same title, when it was
 * started ("Nov 23, 14:03"); still the same (made the same minute): a number in the order
 * they were made (" #2"). Only duplicates change, so most names stay short.
 */
export function chatNames(chats: readonly NamedChat[], time: (ms: number) => string): Map<string, string> {
	const names = new Map<string, string>();
	const byTitle = groupBy(chats, (c) => c.title.trim().toLowerCase());
	for (const group of byTitle.values()) {
		if (group.length === 1) {
			const only = group[0] as NamedChat;
			names.set(only.id, only.title);
			continue;
		}
		const byTime = groupBy(group, (c) => time(c.createdAt));
		for (const [when, same] of byTime) {
			const ordered = [...same].sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
			ordered.forEach((c, i) => {
				names.set(c.id, `${c.title} · ${when}${ordered.length > 1 ? ` #${i + 1}` : ""}`);
			});
		}
	}
	return names;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
	const groups = new Map<string, T[]>();
	for (const item of items) {
		const k = key(item);
		const group = groups.get(k);
		if (group) group.push(item);
		else groups.set(k, [item]);
	}
	return groups;
}
