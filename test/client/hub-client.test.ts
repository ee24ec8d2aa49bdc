import { describe, expect, it } from "vitest";
import { HubClient, type HubClientOptions } from "../../src/client/hub-client.ts";
import type { ClientEvent } from "../../src/protocol/index.ts";

/** A stand-in WebSocket the test drives by hand: no network, same on every runtime. */
class FakeSocket extends EventTarget {
	static opened: FakeSocket[] = [];
	readyState = 0;
	sent: string[] = [];
	constructor(
		readonly url: string,
		readonly protocols: string[],
	) {
		super();
		FakeSocket.opened.push(this);
		queueMicrotask(() => {
			this.readyState = 1;
			this.dispatchEvent(new Event("open"));
		});
	}
	send(data: string): void {
		this.sent.push(data);
	}
	close(code = 1000, reason = ""): void {
		this.serverClose(code, reason);
	}
	serverSend(items: unknown[]): void {
		const event = new Event("message") as Event & { data: string };
		event.data = JSON.stringify(items);
		this.dispatchEvent(event);
	}
	serverClose(code: number, reason = ""): void {
		if (this.readyState === 3) return;
		this.readyState = 3;
		const event = Object.assign(new Event("close"), { code, reason });
		this.dispatchEvent(event);
	}
}

const session = (lastSeq: number, id = "ses_1") => ({
	type: "session",
	session_id: id,
	user_id: "u",
	resumed: false,
	last_seq: lastSeq,
	oldest_seq: 1,
	expires_at: 0,
});
const event = (seq: number) => ({ seq, id: `e${seq}`, ts: 1, type: "CUSTOM", name: "n", value: seq });
const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

function start(options: Partial<HubClientOptions> = {}) {
	FakeSocket.opened = [];
	const received: ClientEvent[] = [];
	const statuses: string[] = [];
	const client = new HubClient({
		baseUrl: "http://127.0.0.1:8787",
		auth: { token: "spk_secret" },
		onEvent: (e) => received.push(e),
		onStatus: (s) => statuses.push(s),
		backoff: { baseMs: 1, maxMs: 2 },
		heartbeatMs: 0,
		WebSocket: FakeSocket as unknown as typeof WebSocket,
		...options,
	});
	client.connect();
	return { client, received, statuses, socket: (i: number) => FakeSocket.opened[i]! };
}

describe("HubClient", () => {
	it("puts the token in a sub-protocol, never in the URL", async () => {
		const { client, socket } = start();
		await tick();
		expect(socket(0).protocols).toEqual(["sparky.v1", "sparky.auth.spk_secret"]);
		expect(socket(0).url).toBe("ws://127.0.0.1:8787/api/ws");
		client.close();
	});

	it("applies each event once and reconnects after a drop with since and session_id", async () => {
		const { client, received, socket, statuses } = start();
		await tick();
		socket(0).serverSend([session(0), event(1), event(2)]);
		socket(0).serverSend([event(2)]); // a resent duplicate
		socket(0).serverClose(1006);
		await tick();
		expect(socket(1).url).toBe("ws://127.0.0.1:8787/api/ws?since=2&session_id=ses_1");
		socket(1).serverSend([{ ...session(3), resumed: true }, event(2), event(3), { type: "some.future.notice" }]);
		// The unknown control item is skipped; the events around it are not.
		expect(received.map((e) => e.seq)).toEqual([1, 2, 3]);
		expect(statuses).toContain("reconnecting");
		client.close();
	});

	it("starts live at the server's last seq when no cursor was given", async () => {
		const { client, received, socket } = start();
		await tick();
		socket(0).serverSend([session(41), event(42)]);
		expect(received.map((e) => e.seq)).toEqual([42]);
		expect(client.lastSeq).toBe(42);
		client.close();
	});

	it("asks once for a replay when it sees a gap", async () => {
		const { client, received, socket } = start({ since: 0 });
		await tick();
		socket(0).serverSend([session(0), event(1), event(4), event(5)]);
		expect(received.map((e) => e.seq)).toEqual([1]);
		expect(socket(0).sent.map((s) => JSON.parse(s))).toEqual([{ type: "resume", id: "resume", since: 1 }]);
		socket(0).serverSend([
			event(2),
			event(3),
			event(4),
			event(5),
			{ type: "replay.done", since: 1, count: 4, last_seq: 5 },
		]);
		expect(received.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
		client.close();
	});

	it("asks again after the wait the hub gives when it refuses a replay (rate_limited)", async () => {
		const { client, received, socket } = start({ since: 0 });
		await tick();
		socket(0).serverSend([session(0), event(1), event(3)]);
		const refusal = { code: "rate_limited", message: "too many", details: { retry_after_ms: 20 }, ref: "resume" };
		socket(0).serverSend([{ type: "error", ...refusal }]);
		// Not at once, not for every later event while it waits, and not for an error about
		// some other frame.
		socket(0).serverSend([event(4)]);
		socket(0).serverSend([{ type: "error", code: "validation_failed", message: "no", ref: "other" }]);
		expect(socket(0).sent).toHaveLength(1);
		expect(FakeSocket.opened).toHaveLength(1);
		await new Promise((resolve) => setTimeout(resolve, 40));
		expect(socket(0).sent.map((s) => JSON.parse(s))).toEqual([
			{ type: "resume", id: "resume", since: 1 },
			{ type: "resume", id: "resume", since: 1 },
		]);
		socket(0).serverSend([event(2), event(3), event(4), { type: "replay.done", since: 1, count: 3, last_seq: 4 }]);
		expect(received.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
		client.close();
	});

	it("forgets a refused replay's retry when the socket drops (the reconnect's since replays)", async () => {
		const { client, socket } = start({ since: 0 });
		await tick();
		socket(0).serverSend([session(0), event(1), event(3)]);
		const refusal = { code: "rate_limited", message: "too many", details: { retry_after_ms: 20 }, ref: "resume" };
		socket(0).serverSend([{ type: "error", ...refusal }]);
		socket(0).serverClose(1006);
		await new Promise((resolve) => setTimeout(resolve, 40));
		expect(socket(0).sent).toHaveLength(1);
		expect(socket(1).url).toContain("since=1");
		client.close();
	});

	it("reconnects with since when a replay is refused for any other reason", async () => {
		const { client, socket } = start({ since: 0 });
		await tick();
		socket(0).serverSend([session(0), event(1), event(3)]);
		socket(0).serverSend([{ type: "error", code: "internal", message: "try again", ref: "resume" }]);
		await new Promise((resolve) => setTimeout(resolve, 20));
		expect(socket(0).sent).toHaveLength(1);
		expect(socket(1).url).toContain("since=1");
		client.close();
	});

	it("moves its cursor when the server says history was truncated", async () => {
		const { client, received, socket } = start({ since: 3 });
		await tick();
		socket(0).serverSend([
			session(60),
			{ type: "replay.truncated", since: 3, oldest_seq: 11, last_seq: 60, reason: "retention" },
			event(11),
		]);
		expect(received.map((e) => e.seq)).toEqual([11]);
		client.close();
	});

	it("stops for good when the credential is refused (4001)", async () => {
		const { client, socket, statuses } = start();
		await tick();
		socket(0).serverClose(4001, "token revoked");
		await tick();
		expect(FakeSocket.opened).toHaveLength(1);
		expect(statuses.at(-1)).toBe("closed");
		client.close();
	});

	it("fetches a fresh ticket for every connection", async () => {
		let issued = 0;
		const { client, socket } = start({ auth: { ticket: async () => `tkt_${++issued}` } });
		await tick();
		socket(0).serverSend([session(0)]);
		socket(0).serverClose(1001);
		await tick();
		expect(socket(0).url).toContain("ticket=tkt_1");
		expect(socket(1).url).toContain("ticket=tkt_2");
		expect(socket(1).protocols).toEqual(["sparky.v1"]);
		client.close();
	});
});
