import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { hubFor } from "../../src/hub/stub.ts";
import type { PublishEvent } from "../../src/protocol/index.ts";
import { hubForwarder, hubPublisher, type Publisher } from "../../src/relay/publish.ts";
import { Relay, type RelayOptions } from "../../src/relay/relay.ts";
import { newUser } from "../support/api.ts";
import { readLog } from "../support/hub.ts";

const event = (n: number): PublishEvent => ({ type: "CUSTOM", id: `run:1:${n}`, name: "n", value: n });

/** A relay to the real hubs that records each call's hub and values. */
function recordingRelay(options: Omit<RelayOptions, "publish">) {
	const calls: { user: string; values: unknown[] }[] = [];
	const real = hubPublisher(env);
	const relay = new Relay({
		...options,
		publish: (user, events) => {
			calls.push({ user, values: events.map((e) => e.value) });
			return real(user, events);
		},
	});
	return { relay, calls };
}

describe("Relay", () => {
	it("sends a burst's first event at once and coalesces the rest, in order, to every audience hub", async () => {
		const [a, b] = await Promise.all([newUser(), newUser()]);
		let calls = 0;
		const real = hubPublisher(env);
		const relay = new Relay({
			publish: (user, events) => {
				calls++;
				return real(user, events);
			},
		});
		relay.emit([a.id, b.id, a.id], event(1));
		// The first event is on its way to each hub a microtask later, before any timer could fire.
		await Promise.resolve();
		expect(calls).toBe(2);
		for (let i = 2; i <= 40; i++) relay.emit([a.id, b.id, a.id], event(i));
		const stats = await relay.close();
		// Per hub: the first event alone, then the 39 that followed it in one call.
		expect(stats).toEqual({ events: 40, rpcCalls: 4, undelivered: 0, merged: 0 });
		expect(calls).toBe(4);
		for (const user of [a, b]) {
			const { events } = await readLog(env, user.id);
			expect(events.map((e) => e.value)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
		}
	});

	it("retries a failed RPC without losing or duplicating an event", async () => {
		const user = await newUser();
		const real = hubPublisher(env);
		let failures = 0;
		// The first call reaches the hub but its answer is lost; the second fails outright.
		const flaky: Publisher = async (u, events) => {
			failures++;
			if (failures === 1) {
				await real(u, events);
				throw Object.assign(new Error("Network connection lost."), { retryable: true });
			}
			if (failures === 2) throw Object.assign(new Error("Durable Object reset"), { retryable: true });
			return real(u, events);
		};
		const relay = new Relay({ publish: flaky, retry: { attempts: 5, baseMs: 1 } });
		for (let i = 1; i <= 5; i++) relay.emit([user.id], event(i));
		await relay.flush();
		for (let i = 6; i <= 8; i++) relay.emit([user.id], event(i));
		expect((await relay.close()).undelivered).toBe(0);
		const { events } = await readLog(env, user.id);
		expect(events.map((e) => [e.seq, e.value])).toEqual(Array.from({ length: 8 }, (_, i) => [i + 1, i + 1]));
	});

	it("retries a hub whose call failed on a timer, when no emit or flush comes (an overloaded agent hub)", async () => {
		const user = await newUser();
		const real = hubPublisher(env);
		let calls = 0;
		const timers: number[] = [];
		const relay = new Relay({
			// Overloaded: not retried at once (publish.ts); the outbox keeps the event.
			publish: (u, events) =>
				++calls === 1 ? Promise.reject(Object.assign(new Error("overloaded"), { overloaded: true })) : real(u, events),
			retry: { attempts: 3, baseMs: 1 },
			// The timer fires at once (and says how long it was asked to wait).
			holdTimer: (release, ms) => {
				timers.push(ms);
				setTimeout(release, 0);
			},
		});
		relay.emit([user.id], event(1));
		// Nothing else is emitted or flushed: only the timer can deliver it.
		await new Promise((r) => setTimeout(r, 100));
		expect(calls).toBe(2);
		expect(timers[0]).toBeGreaterThanOrEqual(500);
		expect((await readLog(env, user.id)).events.map((e) => e.value)).toEqual([1]);
		expect((await relay.close()).undelivered).toBe(0);
	});

	it("keeps events queued through an outage and delivers them at the next flush", async () => {
		const user = await newUser();
		const real = hubPublisher(env);
		let down = true;
		const relay = new Relay({
			publish: (u, events) => (down ? Promise.reject(new Error("hub unreachable")) : real(u, events)),
			retry: { attempts: 2, baseMs: 1 },
		});
		relay.emit([user.id], event(1));
		await relay.flush();
		expect((await hubFor(env, user.id).diagnostics()).last_seq).toBe(0);
		down = false;
		relay.emit([user.id], event(2));
		expect((await relay.close()).undelivered).toBe(0);
		const { events } = await readLog(env, user.id);
		expect(events.map((e) => e.value)).toEqual([1, 2]);
	});

	it("gives up on events the hub refuses as malformed, and counts them", async () => {
		const user = await newUser();
		const relay = new Relay({ publish: hubPublisher(env), retry: { attempts: 2, baseMs: 1 } });
		relay.emit([user.id], { type: "not valid" } as PublishEvent);
		expect((await relay.close()).undelivered).toBe(1);
	});

	it("send goes out at once, after what was emitted before it, and tells each hub's seq", async () => {
		const [a, b] = await Promise.all([newUser(), newUser()]);
		const relay = new Relay({ publish: hubPublisher(env) });
		relay.emit([a.id], event(1));
		const seqs = await relay.send([a.id, b.id], [event(2), event(3)]);
		expect(Object.fromEntries(seqs)).toEqual({ [a.id]: 3, [b.id]: 2 });
		const { events } = await readLog(env, a.id);
		expect(events.map((e) => e.value)).toEqual([1, 2, 3]);
	});

	it("send reports no seq for a hub that never took the events, and does not throw", async () => {
		const user = await newUser();
		const relay = new Relay({
			publish: () => Promise.reject(new Error("hub unreachable")),
			retry: { attempts: 2, baseMs: 1 },
		});
		const seqs = await relay.send([user.id], [event(1)]);
		expect(seqs.size).toBe(0);
		expect((await relay.close()).undelivered).toBe(1);
	});

	it("paces calls to a paced hub (the agent's), but not to the others, and loses nothing", async () => {
		const [paced, free] = await Promise.all([newUser(), newUser()]);
		const calls = new Map<string, number[]>();
		const real = hubPublisher(env);
		const relay = new Relay({
			publish: (user, events) => {
				calls.set(user, [...(calls.get(user) ?? []), Date.now()]);
				return real(user, events);
			},
			paceMs: (user) => (user === paced.id ? 100 : 0),
		});
		// Ten events 20 ms apart: the free hub gets each about at once, the paced one at most one call per 100 ms.
		const start = Date.now();
		for (let i = 1; i <= 10; i++) {
			relay.emit([paced.id, free.id], event(i));
			await new Promise((r) => setTimeout(r, 20));
		}
		const whileEmitting = [...(calls.get(paced.id) ?? [])];
		// At most one call per 100 ms of emitting (plus the first, which leaves at once).
		expect(whileEmitting.length).toBeLessThanOrEqual(Math.floor((Date.now() - start) / 100) + 1);
		// Closing sends what is still held at once (a run's end doesn't wait for the pace).
		await relay.close();
		const pacedCalls = calls.get(paced.id) ?? [];
		expect(pacedCalls.length - whileEmitting.length).toBeLessThanOrEqual(1);
		for (let i = 1; i < whileEmitting.length; i++) {
			expect((whileEmitting[i] as number) - (whileEmitting[i - 1] as number)).toBeGreaterThanOrEqual(95);
		}
		expect((calls.get(free.id) ?? []).length).toBeGreaterThan(pacedCalls.length);
		for (const user of [paced, free]) {
			const { events } = await readLog(env, user.id);
			expect(events.map((e) => e.value)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
		}
	});

	it("flush({ paced: false }) leaves what a paced hub holds for its pace; close sends it", async () => {
		const [paced, free] = await Promise.all([newUser(), newUser()]);
		const calls: string[] = [];
		const real = hubPublisher(env);
		const relay = new Relay({
			publish: (user, events) => {
				calls.push(user);
				return real(user, events);
			},
			paceMs: (user) => (user === paced.id ? 60_000 : 0),
			holdTimer: () => undefined,
		});
		relay.emit([paced.id, free.id], event(1));
		await relay.flush();
		relay.emit([paced.id, free.id], event(2)); // the paced hub holds this one
		await relay.flush({ paced: false });
		expect(calls.filter((u) => u === paced.id)).toHaveLength(1);
		expect(calls.filter((u) => u === free.id)).toHaveLength(2);
		await relay.close();
		expect(calls.filter((u) => u === paced.id)).toHaveLength(2);
		const { events } = await readLog(env, paced.id);
		expect(events.map((e) => e.value)).toEqual([1, 2]);
	});

	it("sends a paced hub's held events with the first emit after its pace, to any hub", async () => {
		const [paced, free] = await Promise.all([newUser(), newUser()]);
		const { relay, calls } = recordingRelay({
			// A pace long enough that no stall of a busy machine passes it between the first two emits.
			paceMs: (user) => (user === paced.id ? 1000 : 0),
			// A timer that never fires (a busy isolate's are late): only an emit can send what is held.
			holdTimer: () => undefined,
		});
		relay.emit([paced.id], event(1)); // the first call of a quiet spell leaves at once
		await new Promise((r) => setTimeout(r, 10));
		relay.emit([paced.id], event(2)); // held: 1 s has not passed
		await new Promise((r) => setTimeout(r, 10));
		expect(calls.filter((c) => c.user === paced.id).map((c) => c.values)).toEqual([[1]]);
		await new Promise((r) => setTimeout(r, 1050));
		relay.emit([free.id], event(3)); // an emit to another hub lets the held one go
		await new Promise((r) => setTimeout(r, 50));
		expect(calls.filter((c) => c.user === paced.id).map((c) => c.values)).toEqual([[1], [2]]);
		await relay.close();
	});

	it("a gathering relay (a hub's forwarder) holds even a quiet spell's first event for the pace, and sends what came meanwhile in one call", async () => {
		const [paced, free] = await Promise.all([newUser(), newUser()]);
		const { relay, calls } = recordingRelay({ paceMs: (user) => (user === paced.id ? 300 : 0), gather: true });
		relay.emit([paced.id, free.id], event(1));
		relay.emit([paced.id], event(2));
		await new Promise((r) => setTimeout(r, 50));
		// The unpaced hub had its event at once; the paced one holds both, not even the first sent.
		expect(calls).toEqual([{ user: free.id, values: [1] }]);
		// Its timer lets them go once the pace has passed: one call.
		for (let tries = 0; tries < 100 && calls.length < 2; tries++) await new Promise((r) => setTimeout(r, 20));
		expect(calls.filter((c) => c.user === paced.id).map((c) => c.values)).toEqual([[1, 2]]);
		await relay.close();
		expect((await readLog(env, paced.id)).events.map((e) => e.value)).toEqual([1, 2]);
	});

	it("keeps the pace a busy hub asks for, names itself to it, and flushes a run's end regardless", async () => {
		const user = await newUser();
		const calls: { values: unknown[]; writer: string | undefined }[] = [];
		const real = hubPublisher(env);
		let pace = 60_000;
		const relay = new Relay({
			// The hub's answer, with the pace a busy hub would ask for (hub/intake-pace.ts).
			publish: async (to, events, writer) => {
				calls.push({ values: events.map((e) => e.value), writer });
				return { ...((await real(to, events, writer)) as object), pace_ms: pace };
			},
			holdTimer: () => undefined,
		});
		relay.emit([user.id], event(1)); // the first call leaves at once; its answer asks for a pace
		await new Promise((r) => setTimeout(r, 20));
		relay.emit([user.id], event(2)); // held by the hub's pace
		relay.emit([user.id], event(3));
		await new Promise((r) => setTimeout(r, 20));
		expect(calls.map((c) => c.values)).toEqual([[1]]);
		expect(calls[0]?.writer).toBe(relay.id);
		// A run's end (flush without the relay's own pace) doesn't wait for the hub's; this
		// answer comes from a calm hub, and lifts the pace.
		pace = 0;
		await relay.flush({ paced: false });
		expect(calls.map((c) => c.values)).toEqual([[1], [2, 3]]);
		// So the next emits leave at once.
		relay.emit([user.id], event(4));
		await new Promise((r) => setTimeout(r, 20));
		relay.emit([user.id], event(5));
		await new Promise((r) => setTimeout(r, 20));
		expect(calls.map((c) => c.values)).toEqual([[1], [2, 3], [4], [5]]);
		await relay.close();
		expect((await readLog(env, user.id)).events.map((e) => e.value)).toEqual([1, 2, 3, 4, 5]);
	});

	it("send with forward: the first hub stores the events and passes them on paced, one call for many sends", async () => {
		const [creator, watcher] = await Promise.all([newUser(), newUser()]);
		const direct: string[] = [];
		const real = hubPublisher(env);
		const publish: Publisher = (user, events) => {
			direct.push(user);
			return real(user, events);
		};
		const before = await hubFor(env, watcher.id).diagnostics();
		// One relay per request, as the POST handler has: twelve requests in a row.
		for (let n = 1; n <= 12; n++) {
			const relay = new Relay({ publish, forward: hubForwarder(env) });
			const seqs = await relay.send([creator.id], [event(n)], { forward: [watcher.id] });
			expect(seqs.get(creator.id)).toBe(n);
		}
		// Nothing went from the requests to the watcher's hub directly.
		expect(direct).toEqual([]);
		const passedOn = async () => (await readLog(env, watcher.id)).events.map((e) => e.value);
		const all = Array.from({ length: 12 }, (_, i) => i + 1);
		for (let tries = 0; tries < 100 && (await passedOn()).length < 12; tries++)
			await new Promise((r) => setTimeout(r, 20));
		expect(await passedOn()).toEqual(all);
		// The creator's hub passed them on in a few paced calls, not twelve.
		const after = await hubFor(env, watcher.id).diagnostics();
		expect(after.publishes - before.publishes).toBeLessThanOrEqual(6);
		expect((await readLog(env, creator.id)).events.map((e) => e.value)).toEqual(all);
	});

	it("send with forward goes to every hub directly when the relay has no forwarder, or the forwarding call fails", async () => {
		const [creator, watcher] = await Promise.all([newUser(), newUser()]);
		const real = hubPublisher(env);
		const direct: string[] = [];
		const publish: Publisher = (user, events) => {
			direct.push(user);
			return real(user, events);
		};
		await new Relay({ publish }).send([creator.id], [event(1)], { forward: [watcher.id] });
		expect(direct.sort()).toEqual([creator.id, watcher.id].sort());

		direct.length = 0;
		const broken = new Relay({
			publish,
			forward: async () => {
				throw new Error("Durable Object reset");
			},
			retry: { attempts: 1 },
		});
		const seqs = await broken.send([creator.id], [event(2)], { forward: [watcher.id] });
		expect(direct.sort()).toEqual([creator.id, watcher.id].sort());
		expect(seqs.get(creator.id)).toBe(2);
		expect((await readLog(env, watcher.id)).events.map((e) => e.value)).toEqual([1, 2]);
	});

	it("a hub refuses to pass events on to anything but a few user ids", async () => {
		const user = await newUser();
		const refused = await hubFor(env, user.id)
			.publishAndForward([event(1)], ["Not A User!"])
			.catch((error: unknown) => error);
		expect(String(refused)).toContain("invalid publish batch");
		expect((await readLog(env, user.id)).events).toEqual([]);
	});

	it("merges deltas of one message that wait behind the call in flight, never one a call has carried", async () => {
		const user = await newUser();
		const real = hubPublisher(env);
		const delta = (n: number, messageId = "m1"): PublishEvent => ({
			type: "TEXT_MESSAGE_CONTENT",
			id: `run:1:d${n}`,
			task_id: "t1",
			messageId,
			delta: `${n} `,
		});
		// The first call reaches the hub but its answer is lost: the relay keeps that event
		// queued, and what follows must not join it (the hub already has its id).
		let calls = 0;
		const sent: string[][] = [];
		const relay = new Relay({
			publish: async (u, events) => {
				calls++;
				sent.push(events.map((e) => String((e as { delta?: string }).delta ?? e.type)));
				if (calls === 1) {
					await real(u, events);
					throw Object.assign(new Error("Network connection lost."), { retryable: true });
				}
				return real(u, events);
			},
			retry: { attempts: 3, baseMs: 5 },
		});
		relay.emit([user.id], delta(1));
		await Promise.resolve(); // the first call is out
		for (let n = 2; n <= 5; n++) relay.emit([user.id], delta(n));
		relay.emit([user.id], delta(6, "m2")); // another message: not merged
		relay.emit([user.id], delta(7, "m2"));
		relay.emit([user.id], { type: "TEXT_MESSAGE_END", id: "run:1:e", messageId: "m2" } as PublishEvent);
		relay.emit([user.id], delta(8, "m2")); // after a different event: not merged across it
		const stats = await relay.close();
		expect(stats.undelivered).toBe(0);
		expect(stats.merged).toBe(4);
		// The lost answer's call, its retry (the same event, alone), then what waited, merged.
		expect(sent).toEqual([["1 "], ["1 "], ["2 3 4 5 ", "6 7 ", "TEXT_MESSAGE_END", "8 "]]);
		const { events } = await readLog(env, user.id);
		const text = (messageId: string) =>
			events
				.filter((e) => e.type === "TEXT_MESSAGE_CONTENT" && e.messageId === messageId)
				.map((e) => e.delta)
				.join("");
		expect(text("m1")).toBe("1 2 3 4 5 ");
		expect(text("m2")).toBe("6 7 8 ");
		expect(events).toHaveLength(5);
	});
});
