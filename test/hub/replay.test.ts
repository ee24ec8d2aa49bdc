import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { EventLog } from "../../src/hub/event-log.ts";
import { hubFor } from "../../src/hub/stub.ts";
import { replayTo } from "../../src/hub/upgrade.ts";
import { LIMITS } from "../../src/protocol/index.ts";
import { newUser } from "../support/api.ts";
import { hubObject } from "../support/hub.ts";
import { connect, seqsOf } from "../support/sockets.ts";

const notice = (n: number) => ({ type: "CUSTOM", name: "n", value: n });
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe("replay on reconnect", () => {
	it("sends every missed event once, in order, then live ones", async () => {
		const user = await newUser();
		const hub = hubFor(env, user.id);
		for (let i = 1; i <= 5; i++) await hub.publish([notice(i)]);
		const tab = await connect({ token: user.token, since: 2 });
		await tab.untilControl("replay.done");
		expect(seqsOf(tab.events)).toEqual([3, 4, 5]);
		expect(tab.control("replay.done")).toEqual({ type: "replay.done", since: 2, count: 3, last_seq: 5 });
		await hub.publish([notice(6)]);
		await tab.untilEvents(4);
		expect(seqsOf(tab.events)).toEqual([3, 4, 5, 6]);
		tab.close();
	});

	it("has no gap or duplicate across replay → live while events are being published", async () => {
		const user = await newUser();
		const hub = hubFor(env, user.id);
		const total = 24; // 48 events: inside the test retention
		// Publish continuously; connect several sockets at different cursors mid-stream.
		const publishing = (async () => {
			for (let i = 1; i <= total; i++) await hub.publish([notice(i), notice(i)]);
		})();
		const tabs = [];
		for (const since of [0, 3, 10, 21]) {
			while ((await hub.diagnostics()).last_seq < since) await new Promise((r) => setTimeout(r, 1));
			tabs.push({ since, tab: await connect({ token: user.token, since }) });
		}
		await publishing;
		// The point of the test: at least one socket joined while publishing was under way.
		expect(tabs.some(({ tab }) => (tab.control("session")?.last_seq ?? 0) < total * 2)).toBe(true);
		for (const { since, tab } of tabs) {
			await tab.untilEvents(total * 2 - since);
			expect(seqsOf(tab.events)).toEqual(range(since + 1, total * 2));
			tab.close();
		}
	});

	it("a client without `since` starts live, at the session's last_seq", async () => {
		const user = await newUser();
		const hub = hubFor(env, user.id);
		await hub.publish([notice(1), notice(2)]);
		const tab = await connect({ token: user.token });
		await tab.untilControl("session");
		expect(tab.control("session")?.last_seq).toBe(2);
		await hub.publish([notice(3)]);
		await tab.untilEvents(1);
		expect(seqsOf(tab.events)).toEqual([3]);
		expect(tab.control("replay.done")).toBeUndefined();
		tab.close();
	});

	it("replays again on a resume frame, from the cursor the client gives", async () => {
		const user = await newUser();
		const hub = hubFor(env, user.id);
		await hub.publish([notice(1), notice(2), notice(3)]);
		const tab = await connect({ token: user.token });
		await tab.untilControl("session");
		tab.send({ type: "resume", since: 1, id: "r1" });
		await tab.untilControl("replay.done");
		expect(seqsOf(tab.events)).toEqual([2, 3]);
		tab.close();
	});

	it("replays on resume frames at the history rate: past the burst an error frame (rate_limited), and the socket stays", async () => {
		const user = await newUser();
		await hubFor(env, user.id).publish([notice(1)]);
		const tab = await connect({ token: user.token });
		await tab.untilControl("session");
		// SPARKY_RATE_HISTORY_BURST: 60, shared with chat.history frames; refilled one a minute here
		// (vitest.config.ts).
		for (let i = 0; i < 62; i++) tab.send({ type: "resume", since: 0, id: `r${i}` });
		await tab.until(() => tab.controls.filter((c) => c.type === "error").length >= 2, "two refusals");
		await tab.until(() => tab.controls.filter((c) => c.type === "replay.done").length >= 60, "60 replays");
		const refusals = tab.controls.filter((c) => c.type === "error");
		expect(refusals.map((c) => [(c as { code: string }).code, (c as { ref: string }).ref])).toEqual([
			["rate_limited", "r60"],
			["rate_limited", "r61"],
		]);
		expect(tab.controls.filter((c) => c.type === "replay.done")).toHaveLength(60);
		expect(tab.closeEvent).toBeUndefined();
		tab.close();
	});

	it("closes with 4008 a socket that asks past the rate without an id (it can't tell a refusal is its own)", async () => {
		const user = await newUser();
		await hubFor(env, user.id).publish([notice(1)]);
		const tab = await connect({ token: user.token });
		await tab.untilControl("session");
		for (let i = 0; i < 61; i++) tab.send({ type: "resume", since: 0 });
		const closed = await tab.untilClosed();
		expect(closed.code).toBe(4008);
		expect(tab.controls.filter((c) => c.type === "replay.done")).toHaveLength(60);
		expect(tab.controls.filter((c) => c.type === "error")).toEqual([]);
	});

	it("reconnecting with the last seq seen gives a gap-free, duplicate-free sequence", async () => {
		const user = await newUser();
		const hub = hubFor(env, user.id);
		const seen: number[] = [];
		let tab = await connect({ token: user.token, since: 0 });
		for (let round = 0; round < 5; round++) {
			await hub.publish([notice(round), notice(round)]);
			await tab.untilEvents(2);
			seen.push(...seqsOf(tab.events));
			tab.close();
			await hub.publish([notice(round)]); // published while disconnected
			tab = await connect({ token: user.token, since: seen.at(-1) });
			await tab.untilControl("replay.done");
			seen.push(...seqsOf(tab.events));
			tab.items.length = 0;
		}
		tab.close();
		expect(seen).toEqual(range(1, 15));
	});

	it("a task's events page with since and limit", async () => {
		const user = await newUser();
		const hub = hubFor(env, user.id);
		await hub.publish(range(1, 10).map((n) => ({ ...notice(n), task_id: "task_p" })));
		const page = await hub.taskEvents("task_p", 4, 3);
		expect(seqsOf(page.events)).toEqual([5, 6, 7]);
		expect(page.last_seq).toBe(10);
	});
});

describe("retention", () => {
	// vitest.config.ts sets SPARKY_EVENT_RETENTION_COUNT=200 for tests.
	it("keeps the newest N events and says so to a client whose cursor is older", async () => {
		const user = await newUser();
		const hub = hubFor(env, user.id);
		await hub.publish(range(1, 260).map(notice));
		const stats = await hub.diagnostics();
		expect(stats).toMatchObject({ events: 200, oldest_seq: 61, last_seq: 260 });
		const tab = await connect({ token: user.token, since: 5 });
		await tab.untilControl("replay.done");
		expect(tab.control("replay.truncated")).toEqual({
			type: "replay.truncated",
			since: 5,
			oldest_seq: 61,
			last_seq: 260,
			reason: "retention",
		});
		expect(seqsOf(tab.events)).toEqual(range(61, 260));
		// The truncation notice comes before the events it explains.
		expect(tab.items.findIndex((i) => i.type === "replay.truncated")).toBeLessThan(
			tab.items.findIndex((i) => "seq" in i),
		);
		tab.close();
	});

	it("a cursor exactly at the retention edge is not truncated", async () => {
		const user = await newUser();
		const hub = hubFor(env, user.id);
		await hub.publish(range(1, 260).map(notice));
		const tab = await connect({ token: user.token, since: 60 });
		await tab.untilControl("replay.done");
		expect(tab.control("replay.truncated")).toBeUndefined();
		expect(tab.events).toHaveLength(200);
		tab.close();
	});

	it("tells a client whose cursor is ahead of the log (state was reset) and sends what there is", async () => {
		const user = await newUser();
		const hub = hubFor(env, user.id);
		await hub.publish([notice(1), notice(2)]);
		const tab = await connect({ token: user.token, since: 99 });
		await tab.untilControl("replay.done");
		expect(tab.control("replay.truncated")?.reason).toBe("cursor_ahead");
		expect(seqsOf(tab.events)).toEqual([1, 2]);
		tab.close();
	});

	it("a replay sends at most the newest SPARKY_REPLAY_MAX_EVENTS and says what it left out", async () => {
		const { runInDurableObject } = await import("cloudflare:test");
		const user = await newUser();
		await hubFor(env, user.id).publish(range(1, 150).map(notice));
		const frames = await runInDurableObject(hubObject(env, user.id), async (_instance, state) => {
			const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
			const received: unknown[] = [];
			client.accept();
			server.accept();
			const done = new Promise<void>((resolve) =>
				client.addEventListener("message", (m) => {
					const frame = JSON.parse(String(m.data)) as { type?: string }[];
					received.push(...frame);
					if (frame.some((f) => f.type === "replay.done")) resolve();
				}),
			);
			// The log keeps all 150 (the tests' retention is 200); a replay sends at most 100.
			replayTo(server, new EventLog(state.storage), 10, 100);
			await done;
			return received as { type?: string; seq?: number }[];
		});
		expect(frames[0]).toEqual({
			type: "replay.truncated",
			since: 10,
			oldest_seq: 51,
			last_seq: 150,
			reason: "replay_limit",
		});
		expect(frames.filter((f) => f.seq !== undefined).map((f) => f.seq)).toEqual(range(51, 150));
		expect(frames.at(-1)).toMatchObject({ type: "replay.done", count: 100, last_seq: 150 });
	});

	it("a replay sends at most 16 MiB of events, the newest, and says what it left out", async () => {
		const user = await newUser();
		const hub = hubFor(env, user.id);
		// 80 events of 120,000 "é": 19.2 MB in UTF-8, more than one replay holds (but only 9.6 M
		// characters: a cap counted in characters would send them all).
		const big = (n: number) => ({ type: "CUSTOM", name: "pad", value: `${n}`.padEnd(120_000, "é") });
		for (let n = 1; n <= 80; n += 2) await hub.publish([big(n), big(n + 1)]);
		const tab = await connect({ token: user.token, since: 0 });
		await tab.until(() => tab.control("replay.done") !== undefined, "replay.done", 20_000);
		const truncated = tab.control("replay.truncated");
		expect(truncated).toMatchObject({ since: 0, last_seq: 80, reason: "replay_limit" });
		const seqs = seqsOf(tab.events);
		expect(seqs).toEqual(range(truncated?.oldest_seq ?? 0, 80));
		const utf8 = new TextEncoder();
		const bytes = tab.events.reduce((sum, event) => sum + utf8.encode(JSON.stringify(event)).length, 0);
		expect(bytes).toBeLessThanOrEqual(LIMITS.replayBytes);
		// Whole rows are left out, the fewest that make it fit: a row holds two of these (one publish).
		expect(bytes).toBeGreaterThan(LIMITS.replayBytes - 2 * 241_000);
		tab.close();
	});

	it("ages events out in the alarm, and seq keeps counting after the log empties", async () => {
		const { runDurableObjectAlarm, runInDurableObject } = await import("cloudflare:test");
		const user = await newUser();
		const hub = hubFor(env, user.id);
		await hub.publish([notice(1), notice(2), notice(3)]);
		await runInDurableObject(hubObject(env, user.id), (_instance, state) => {
			state.storage.sql.exec("UPDATE log SET stored_at = 0");
		});
		expect(await runDurableObjectAlarm(hubObject(env, user.id))).toBe(true);
		expect(await hub.diagnostics()).toMatchObject({ events: 0, last_seq: 3, oldest_seq: 4 });
		const { seqs } = await hub.publish([notice(4)]);
		expect(seqs).toEqual([4]);
	});
});
