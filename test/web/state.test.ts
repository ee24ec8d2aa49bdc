import { describe, expect, it } from "vitest";
import { Timeline } from "../../src/client/timeline.ts";
import type { ClientEvent } from "../../src/protocol/index.ts";
import { Api, ApiError } from "../../web/src/lib/api.ts";
import { connectionState } from "../../web/src/lib/connection.ts";
import { frameThrottle } from "../../web/src/lib/throttle.ts";
import { routeItems, threadFor } from "../../web/src/state/threads.ts";
import { clientEvent } from "../support/events.ts";

describe("web: connection indicator", () => {
	it("is offline whenever the browser is, else follows the socket", () => {
		expect(connectionState("open", true)).toBe("connected");
		expect(connectionState("open", false)).toBe("offline");
		expect(connectionState("reconnecting", true)).toBe("reconnecting");
		expect(connectionState("connecting", true)).toBe("connecting");
		expect(connectionState("closed", true)).toBe("offline");
	});
});

describe("web: render throttle", () => {
	it("runs once per frame however often it is asked", () => {
		const frames: (() => void)[] = [];
		let runs = 0;
		const changed = frameThrottle(
			() => runs++,
			(callback) => frames.push(callback),
		);
		changed();
		changed();
		changed();
		expect(frames).toHaveLength(1);
		frames.shift()?.();
		expect(runs).toBe(1);
		changed();
		expect(frames).toHaveLength(1);
	});
});

describe("web: API client", () => {
	const fakeFetch =
		(status: number, body: unknown, seen: Request[] = []): typeof fetch =>
		async (input, init) => {
			seen.push(new Request(input, init));
			return new Response(body === null ? null : JSON.stringify(body), { status });
		};

	it("sends the bearer token and reads JSON", async () => {
		const seen: Request[] = [];
		const api = new Api("spk_t", "http://sparky.test", fakeFetch(200, { user_id: "agent", role: "user" }, seen));
		expect(await api.me()).toMatchObject({ user_id: "agent" });
		expect(seen[0]?.headers.get("authorization")).toBe("Bearer spk_t");
		expect(seen[0]?.url).toBe("http://sparky.test/api/me");
	});

	it("turns the API's error body into an ApiError with status, code and message", async () => {
		const api = new Api(
			"bad",
			"http://sparky.test",
			fakeFetch(401, { error: { code: "unauthorized", message: "invalid, expired or revoked token" } }),
		);
		const error = await api.me().catch((e: unknown) => e);
		expect(error).toBeInstanceOf(ApiError);
		expect(error).toMatchObject({ status: 401, code: "unauthorized", message: "invalid, expired or revoked token" });
	});

	it("reports a network failure as status 0", async () => {
		const api = new Api("t", "http://sparky.test", async () => {
			throw new TypeError("Failed to fetch");
		});
		await expect(api.chats()).rejects.toMatchObject({ status: 0, code: "network" });
	});

	it("reads every page of a task's events", async () => {
		const event = (seq: number) => ({
			seq,
			id: `e${seq}`,
			ts: seq,
			type: "CUSTOM",
			name: "sparky.notice",
			value: null,
		});
		const pages = new Map([
			["0", Array.from({ length: 1000 }, (_, i) => event(i + 1))],
			["1000", [event(1001)]],
		]);
		const api = new Api("t", "http://sparky.test", async (input) => {
			const since = new URL(String(input)).searchParams.get("since") ?? "";
			return new Response(JSON.stringify({ events: pages.get(since) ?? [] }));
		});
		expect((await api.taskEvents("task_1")).length).toBe(1001);
	});
});

describe("web: which thread a route shows", () => {
	const status = (task_id: string, chat_id?: string): ClientEvent =>
		clientEvent({
			seq: 1,
			id: `${task_id}:status`,
			ts: 1,
			type: "CUSTOM",
			name: "sparky.task.status",
			task_id,
			chat_id,
			value: { task_id, kind: "task", status: "running", attempt: 1, user_id: "u" },
		});

	it("shows a task posted into a chat as that chat's items of its turn", () => {
		const t = new Timeline();
		t.apply([
			status("task_c", "chat_1"),
			clientEvent({
				seq: 2,
				id: "x2",
				ts: 2,
				type: "TEXT_MESSAGE_START",
				task_id: "turn_0",
				chat_id: "chat_1",
				messageId: "m0",
			}),
			clientEvent({
				seq: 3,
				id: "x3",
				ts: 3,
				type: "TEXT_MESSAGE_START",
				task_id: "task_c",
				chat_id: "chat_1",
				messageId: "m1",
			}),
		]);
		expect(threadFor({ kind: "task", id: "task_c" }, t)).toEqual({ key: "chat:chat_1", turnId: "task_c" });
		expect(routeItems({ kind: "task", id: "task_c" }, t).map((i) => i.id)).toEqual(["m1"]);
		expect(routeItems({ kind: "chat", id: "chat_1" }, t).map((i) => i.id)).toEqual(["m0", "m1"]);
	});

	it("shows other tasks as their own thread, and nothing for home", () => {
		const t = new Timeline();
		expect(threadFor({ kind: "task", id: "task_x" }, t)).toEqual({ key: "task:task_x" });
		expect(threadFor({ kind: "home" }, t)).toBeUndefined();
		expect(routeItems({ kind: "home" }, t)).toEqual([]);
	});
});
