import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { hubFor } from "../../src/hub/stub.ts";
import { newUser, notify } from "../support/api.ts";
import { hubObject, hubSessions } from "../support/hub.ts";
import { connect } from "../support/sockets.ts";

describe("sessions", () => {
	it("gives each connection a session and keeps it when the client reconnects with it", async () => {
		const user = await newUser();
		const first = await connect({ token: user.token });
		await first.untilControl("session");
		const session = first.control("session")!;
		expect(session).toMatchObject({ resumed: false, user_id: user.id, session_id: expect.stringMatching(/^ses_/) });
		first.close();

		const again = await connect({ token: user.token, sessionId: session.session_id });
		await again.untilControl("session");
		expect(again.control("session")).toMatchObject({ resumed: true, session_id: session.session_id });
		again.close();
	});

	it("holds several sessions (tabs, devices) at once and counts their sockets", async () => {
		const user = await newUser();
		const tabs = await Promise.all([0, 1, 2].map(() => connect({ token: user.token })));
		await Promise.all(tabs.map((t) => t.untilControl("session")));
		const sessions = await hubSessions(env, user.id);
		expect(sessions).toHaveLength(3);
		expect(sessions.every((s) => s.sockets === 1 && s.user_id === user.id)).toBe(true);
		for (const tab of tabs) tab.close();
	});

	it("starts a new session for an unknown or expired session id", async () => {
		const user = await newUser();
		const unknown = await connect({ token: user.token, sessionId: "ses_made_up" });
		await unknown.untilControl("session");
		expect(unknown.control("session")?.resumed).toBe(false);
		const id = unknown.control("session")!.session_id;
		unknown.close();

		await runInDurableObject(hubObject(env, user.id), (_i, state) => {
			state.storage.sql.exec("UPDATE sessions SET expires_at = 1 WHERE id = ?", id);
		});
		const expired = await connect({ token: user.token, sessionId: id });
		await expired.untilControl("session");
		expect(expired.control("session")).toMatchObject({ resumed: false });
		expect(expired.control("session")?.session_id).not.toBe(id);
		expired.close();
	});

	it("expires idle sessions in the alarm, but not ones with an open socket", async () => {
		const user = await newUser();
		const idle = await connect({ token: user.token });
		const open = await connect({ token: user.token });
		await Promise.all([idle.untilControl("session"), open.untilControl("session")]);
		idle.close();
		await idle.untilClosed();
		await runInDurableObject(hubObject(env, user.id), (_i, state) => {
			state.storage.sql.exec("UPDATE sessions SET expires_at = 1");
		});
		expect(await runDurableObjectAlarm(hubObject(env, user.id))).toBe(true);
		const left = await hubSessions(env, user.id);
		expect(left.map((s) => s.id)).toEqual([open.control("session")!.session_id]);
		// The open socket's session was refreshed, not left expired.
		expect(left[0]!.expires_at).toBeGreaterThan(Date.now());
		open.close();
	});

	it("schedules an alarm as soon as a socket connects", async () => {
		const user = await newUser();
		const tab = await connect({ token: user.token });
		await tab.untilControl("session");
		const alarm = await runInDurableObject(hubObject(env, user.id), (_i, state) => state.storage.getAlarm());
		expect(alarm).toEqual(expect.any(Number));
		tab.close();
	});
});

describe("hibernation", () => {
	it("keeps sockets and their attachment across the object being evicted and re-created", async () => {
		const user = await newUser();
		const tab = await connect({ token: user.token });
		await tab.untilControl("session");
		const sessionId = tab.control("session")!.session_id;
		await evictDurableObject(hubObject(env, user.id));

		// A new instance finds the socket and what it knew about it.
		const state = await runInDurableObject(hubObject(env, user.id), (_i, s) => {
			const [ws] = s.getWebSockets();
			return ws ? (ws.deserializeAttachment() as { sparky: Record<string, unknown> }).sparky : undefined;
		});
		expect(state).toMatchObject({ sessionId, userId: user.id, tokenId: user.tokenId, role: "user" });

		await notify(user.id, "after-eviction", 1);
		await tab.untilEvents(1);
		expect(tab.events[0]).toMatchObject({ seq: 1, name: "after-eviction" });
		tab.send({ type: "ping", id: "p1" });
		await tab.until(() => tab.controls.some((c) => c.type === "pong" && c.ref === "p1"), "pong");
		tab.close();
	});

	it("seq continues after eviction (kept in storage, not memory)", async () => {
		const user = await newUser();
		const hub = hubFor(env, user.id);
		await hub.publish([{ type: "CUSTOM", name: "a", value: 1 }]);
		await evictDurableObject(hubObject(env, user.id));
		expect((await hub.publish([{ type: "CUSTOM", name: "b", value: 2 }])).seqs).toEqual([2]);
	});
});
