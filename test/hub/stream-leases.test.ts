import { describe, expect, it } from "vitest";
import { StreamLeases } from "../../src/hub/stream-leases.ts";

describe("StreamLeases: one user's open HTTP streams", () => {
	it("refuses past the cap and frees a place when a stream closes or its lease lapses", () => {
		const leases = new StreamLeases(2, 1_000);
		const a = leases.open(0);
		const b = leases.open(0);
		expect(a.ok && b.ok).toBe(true);
		expect(leases.open(0)).toEqual({ ok: false, open: 2, limit: 2 });
		if (a.ok) leases.close(a.lease);
		expect(leases.open(10).ok).toBe(true);
		// Nobody renewed them: after the lease time every place is free again.
		expect(leases.count(2_000)).toBe(0);
	});

	it("keeps a renewed lease; a lapsed one can't be renewed (its stream must end)", () => {
		const leases = new StreamLeases(5, 1_000);
		const opened = leases.open(0);
		if (!opened.ok) throw new Error("refused");
		expect(leases.renew(opened.lease, 900)).toBe(true);
		expect(leases.count(1_500)).toBe(1);
		expect(leases.count(2_000)).toBe(0);
		expect(leases.renew(opened.lease, 2_000)).toBe(false);
		expect(leases.count(2_000)).toBe(0);
	});

	it("takes back a lease from before a restart while there is room, never past the cap", () => {
		const before = new StreamLeases(1, 1_000);
		const old = before.open(0);
		if (!old.ok) throw new Error("refused");
		const restarted = new StreamLeases(1, 1_000);
		expect(restarted.renew(old.lease, 0)).toBe(true);
		expect(restarted.count(0)).toBe(1);
		const other = new StreamLeases(1, 1_000);
		expect(other.open(0).ok).toBe(true);
		expect(other.renew(old.lease, 0)).toBe(false);
	});
});
