import { env } from "cloudflare:workers";
import { EventSchemas } from "@ag-ui/core/schemas";
import { describe, expect, it } from "vitest";
import { hubFor } from "../../src/hub/stub.ts";
import { newUser, notify } from "../support/api.ts";
import { readLog } from "../support/hub.ts";
import { connect, seqsOf } from "../support/sockets.ts";

describe("live fan-out", () => {
	it("delivers every event to every socket of the user, in order", async () => {
		const user = await newUser();
		const tabs = await Promise.all([1, 2, 3, 4].map(() => connect({ token: user.token })));
		for (const tab of tabs) await tab.untilControl("session");
		for (let i = 1; i <= 10; i++) await notify(user.id, "count", i);
		for (const tab of tabs) {
			await tab.untilEvents(10);
			expect(seqsOf(tab.events)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
			expect(tab.events.map((e) => e.value)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
			tab.close();
		}
	});

	it("sends one publish call's events as one frame", async () => {
		const user = await newUser();
		const tab = await connect({ token: user.token });
		await tab.untilControl("session");
		const framesBefore = tab.frames.length;
		await hubFor(env, user.id).publish([1, 2, 3].map((n) => ({ type: "CUSTOM", name: "n", value: n })));
		await tab.untilEvents(3);
		expect(tab.frames.length - framesBefore).toBe(1);
		tab.close();
	});

	it("emits valid AG-UI events inside Sparky's envelope", async () => {
		const user = await newUser();
		const tab = await connect({ token: user.token });
		await notify(user.id, "deploy", { done: true });
		await tab.untilEvents(1);
		const event = tab.events[0]!;
		expect(event).toEqual({
			seq: 1,
			id: expect.stringMatching(/^evt_/),
			ts: expect.any(Number),
			type: "CUSTOM",
			name: "deploy",
			value: { done: true },
		});
		expect(EventSchemas.safeParse(event).success).toBe(true);
		tab.close();
	});

	it("keeps users apart: B never receives A's events", async () => {
		const [a, b] = await Promise.all([newUser(), newUser()]);
		const tabA = await connect({ token: a.token });
		const tabB = await connect({ token: b.token });
		await Promise.all([tabA.untilControl("session"), tabB.untilControl("session")]);
		expect(tabA.control("session")?.user_id).toBe(a.id);
		expect(tabB.control("session")?.user_id).toBe(b.id);
		await notify(a.id, "for-a", 1);
		await notify(b.id, "for-b", 2);
		await Promise.all([tabA.untilEvents(1), tabB.untilEvents(1)]);
		await notify(b.id, "for-b", 3);
		await tabB.untilEvents(2);
		expect(tabA.events.map((e) => e.name)).toEqual(["for-a"]);
		expect(tabB.events.map((e) => e.name)).toEqual(["for-b", "for-b"]);
		tabA.close();
		tabB.close();
	});

	it("stores an event id once, so a retried publish neither duplicates nor resends", async () => {
		const user = await newUser();
		const tab = await connect({ token: user.token });
		const hub = hubFor(env, user.id);
		const batch = [
			{ type: "CUSTOM", id: "run1:1", name: "a", value: 1 },
			{ type: "CUSTOM", id: "run1:2", name: "b", value: 2 },
		];
		const first = await hub.publish(batch);
		const retry = await hub.publish([...batch, { type: "CUSTOM", id: "run1:3", name: "c", value: 3 }]);
		expect(first.seqs).toEqual([1, 2]);
		expect(retry.seqs).toEqual([1, 2, 3]);
		await tab.untilEvents(3);
		expect(seqsOf(tab.events)).toEqual([1, 2, 3]);
		expect((await readLog(env, user.id)).events.map((e) => e.id)).toEqual(["run1:1", "run1:2", "run1:3"]);
		tab.close();
	});

	it("refuses a malformed publish without storing any of it", async () => {
		const user = await newUser();
		const hub = hubFor(env, user.id);
		const failure = (events: unknown[]) =>
			hub.publish(events as never).then(
				() => "stored",
				(error: Error) => error.message,
			);
		expect(await failure([{ type: "CUSTOM" }, { type: "lower case" }])).toMatch(/type/);
		expect(await failure([])).toMatch(/>=1/);
		expect((await hub.diagnostics()).last_seq).toBe(0);
	});

	it("publishes an admin notice over HTTP and returns its seq", async () => {
		const user = await newUser();
		expect(await notify(user.id, "hello", "world")).toBe(1);
		expect(await notify(user.id, "hello", "again")).toBe(2);
		const { events } = await readLog(env, user.id);
		expect(events.map((e) => [e.seq, e.type, e.name, e.value])).toEqual([
			[1, "CUSTOM", "hello", "world"],
			[2, "CUSTOM", "hello", "again"],
		]);
	});
});
