// Test helpers that look inside a user's hub. The hub's RPC surface (UserHubApi) has only
// what production calls; tests read the rest from the object's own storage.
import { runInDurableObject } from "cloudflare:test";
import { socketState } from "../../src/hub/connections.ts";
import { EventLog } from "../../src/hub/event-log.ts";
import { type SessionRow, SessionStore } from "../../src/hub/sessions.ts";
import type { WireEvent } from "../../src/protocol/index.ts";

/** One user's hub as a Durable Object stub (for runInDurableObject, alarms, eviction). */
export const hubObject = (env: Env, userId: string) => env.USER_HUB.getByName(userId);

/** Every event the hub's log holds after `since`, oldest first (readers in production use taskEvents or a socket's replay). */
export async function readLog(env: Env, userId: string, since = 0): Promise<{ events: WireEvent[] }> {
	return runInDurableObject(hubObject(env, userId), (_hub, state) => ({
		events: new EventLog(state.storage)
			.readAfter(since, Number.MAX_SAFE_INTEGER)
			.map((json) => JSON.parse(json) as WireEvent),
	}));
}

/** The hub's sessions, each with its open sockets. */
export async function hubSessions(env: Env, userId: string): Promise<(SessionRow & { sockets: number })[]> {
	return runInDurableObject(hubObject(env, userId), (_hub, state) => {
		const counts = new Map<string, number>();
		for (const ws of state.getWebSockets()) {
			const id = socketState(ws)?.sessionId;
			if (id) counts.set(id, (counts.get(id) ?? 0) + 1);
		}
		return new SessionStore(state.storage.sql).list().map((row) => ({ ...row, sockets: counts.get(row.id) ?? 0 }));
	});
}
