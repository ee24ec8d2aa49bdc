import { describe, expect, it } from "vitest";
import { type KeyValueStore, seenStore } from "../../web/src/lib/seen-store.ts";

/** A Storage in memory. */
function memory(): KeyValueStore {
	const data = new Map<string, string>();
	return {
		getItem: (k) => data.get(k) ?? null,
		setItem: (k, v) => void data.set(k, v),
	};
}

describe("web: what was seen (unread dots)", () => {
	it("counts what changed before the first visit as seen, and what changed after as new", () => {
		const storage = memory();
		const seen = seenStore("alice", storage, 1_000);
		expect(seen.isNew("t1", 900)).toBe(false);
		expect(seen.isNew("t1", 1_500)).toBe(true);
		seen.mark("t1", 1_500);
		expect(seen.isNew("t1", 1_500)).toBe(false);
		expect(seen.isNew("t1", 1_600)).toBe(true);
	});

	it("remembers across page loads, per user", () => {
		const storage = memory();
		seenStore("alice", storage, 1_000).mark("t1", 2_000);
		const again = seenStore("alice", storage, 5_000);
		expect(again.isNew("t1", 2_000)).toBe(false);
		expect(again.isNew("t2", 3_000)).toBe(true); // the first visit (1 000) still counts
		expect(seenStore("bob", storage, 5_000).isNew("t2", 3_000)).toBe(false);
	});

	it("keeps at most 500 marks, dropping the oldest", () => {
		const storage = memory();
		const seen = seenStore("alice", storage, 0);
		for (let i = 1; i <= 501; i++) seen.mark(`t${i}`, i);
		const saved = JSON.parse(storage.getItem("sparky.seen.alice") ?? "{}") as { seen: Record<string, number> };
		expect(Object.keys(saved.seen)).toHaveLength(500);
		expect(saved.seen.t1).toBeUndefined();
		expect(saved.seen.t501).toBe(501);
	});

	it("survives storage that throws or holds junk", () => {
		const broken = memory();
		broken.setItem("sparky.seen.alice", "{not json");
		expect(seenStore("alice", broken, 10).isNew("t", 20)).toBe(true);
		const full: KeyValueStore = {
			getItem: () => null,
			setItem: () => {
				throw new Error("quota");
			},
		};
		const seen = seenStore("alice", full, 10);
		seen.mark("t", 20);
		expect(seen.isNew("t", 20)).toBe(false);
	});
});
