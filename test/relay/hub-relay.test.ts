import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { PublishEvent } from "../../src/protocol/index.ts";
import { hubRelay } from "../../src/relay/hub-relay.ts";
import { AGENT_USER_ID } from "../../src/tasks/audience.ts";
import { newUser } from "../support/api.ts";
import { readLog } from "../support/hub.ts";
import { connect } from "../support/sockets.ts";

const event = (n: number): PublishEvent => ({ type: "CUSTOM", id: `hr:${n}`, name: "n", value: n });

describe("hubRelay: the one way a relay is made", () => {
	it("inside a hub, stores and forwards its own user's events by a direct call, and reaches the others by RPC", async () => {
		const [self, other, watcher] = await Promise.all([newUser(), newUser(), newUser()]);
		const local: string[] = [];
		const relay = hubRelay(env, {
			local: {
				userId: self.id,
				hub: {
					publish: async (events) => {
						local.push(`publish:${events.length}`);
						return { seqs: events.map((_, i) => i + 1), last_seq: events.length, pace_ms: 0 };
					},
					publishAndForward: async (events, forwardTo) => {
						local.push(`forward:${events.length}:${forwardTo.join(",")}`);
						return { seqs: events.map((_, i) => i + 1), last_seq: events.length, pace_ms: 0 };
					},
				},
			},
		});
		// An announcement from a socket's frame: through this hub, which passes it on (paced).
		const seqs = await relay.send([self.id], [event(1)], { forward: [watcher.id] });
		expect(local).toEqual([`forward:1:${watcher.id}`]);
		expect(seqs.get(self.id)).toBe(1);
		expect((await readLog(env, watcher.id)).events).toEqual([]);
		// Another user's hub: by RPC, and this hub's own by a direct call.
		await relay.send([other.id, self.id], [event(2)]);
		expect(local).toEqual([`forward:1:${watcher.id}`, "publish:1"]);
		expect((await readLog(env, other.id)).events.map((e) => e.value)).toEqual([2]);
		await relay.close();
	});

	it("a chat message sent over the socket reaches the agent's hub through the sender's hub", async () => {
		const user = await newUser();
		const tab = await connect({ token: user.token });
		await tab.untilControl("session");
		tab.send({ type: "chat.create", id: "c1" });
		await tab.until(() => tab.controls.some((c) => "ref" in c && c.ref === "c1"), "chat created");
		const created = tab.controls.find((c) => "ref" in c && c.ref === "c1");
		const chatId = String((created as { result?: { chat?: { id?: string } } }).result?.chat?.id);
		tab.send({ type: "chat.send", id: "m1", chat_id: chatId, text: "hello" });
		await tab.until(() => tab.controls.some((c) => "ref" in c && c.ref === "m1"), "message acked");
		const answer = tab.controls.find((c) => "ref" in c && c.ref === "m1") as {
			type: string;
			result?: { turn_id?: string };
		};
		expect(answer.type).toBe("ack");
		const turnId = String(answer.result?.turn_id);
		// The agent's hub hears of the new turn (its summary), passed on by the sender's hub.
		const heard = async () =>
			(await readLog(env, AGENT_USER_ID)).events.some((e) => e.task_id === turnId && e.type === "CUSTOM");
		for (let i = 0; i < 100 && !(await heard()); i++) await new Promise((r) => setTimeout(r, 20));
		expect(await heard()).toBe(true);
		tab.close();
	});
});
