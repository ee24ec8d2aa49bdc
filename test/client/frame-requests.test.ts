import { describe, expect, it } from "vitest";
import { FrameError, FrameRequests } from "../../src/client/frame-requests.ts";
import type { ControlMessage } from "../../src/protocol/index.ts";

describe("FrameRequests", () => {
	it("matches answers to requests by ref, and rejects refused frames", async () => {
		const sent: Record<string, unknown>[] = [];
		const requests = new FrameRequests((frame) => {
			sent.push(frame);
			return true;
		});
		const history = requests.request({ type: "chat.history", chat_id: "chat_1" });
		const send = requests.request({ type: "chat.send", chat_id: "chat_1", text: "hi" });
		expect(sent.map((f) => f.id)).toEqual(["r1", "r2"]);
		expect(requests.onControl({ type: "pong", ref: "zzz" } as ControlMessage)).toBe(false);
		expect(requests.onControl({ type: "error", code: "not_found", message: "chat chat_1", ref: "r2" })).toBe(true);
		await expect(send).rejects.toMatchObject({ code: "not_found", message: "chat chat_1" });
		requests.onControl({ type: "ack", frame: "chat.history", ref: "r1", result: {} });
		await expect(history).resolves.toMatchObject({ type: "ack", ref: "r1" });
		expect(requests.size).toBe(0);
	});

	it("fails at once when not connected, and fails pending requests when the socket drops", async () => {
		let open = false;
		const requests = new FrameRequests(() => open);
		await expect(requests.request({ type: "chat.cancel", chat_id: "c" })).rejects.toMatchObject({
			code: "not_connected",
		});
		open = true;
		const pending = requests.request({ type: "chat.cancel", chat_id: "c" });
		requests.failAll();
		await expect(pending).rejects.toBeInstanceOf(FrameError);
		expect(requests.size).toBe(0);
	});

	it("keeps a refusal's details (a spent budget's cap and reset time)", async () => {
		const requests = new FrameRequests(() => true);
		const send = requests.request({ type: "chat.send", chat_id: "chat_1", text: "hi", max_cost_usd: 0.5 });
		const details = { period: "day", cap_usd: 5, spent_usd: 5.02, resets_at: 1_796_601_600_000 };
		requests.onControl({ type: "error", code: "budget_exceeded", message: "you have spent…", details, ref: "r1" });
		await expect(send).rejects.toMatchObject({ name: "FrameError", code: "budget_exceeded", details });
	});

	it("times out an unanswered request", async () => {
		const requests = new FrameRequests(() => true, 5);
		await expect(requests.request({ type: "ping" })).rejects.toMatchObject({ code: "timeout" });
	});

	it("numbers ids with the prefix it was given", () => {
		const ids: (string | undefined)[] = [];
		const requests = new FrameRequests(
			(frame) => {
				ids.push(frame.id);
				return true;
			},
			1_000,
			"cli",
		);
		void requests.request({ type: "chat.create" });
		void requests.request({ type: "ping" });
		expect(ids).toEqual(["cli1", "cli2"]);
		requests.abandon();
	});

	it("numbers the next request even when one could not be sent", () => {
		let open = false;
		const ids: (string | undefined)[] = [];
		const requests = new FrameRequests((frame) => {
			ids.push(frame.id);
			return open;
		}, 1_000);
		void requests.request({ type: "ping" }).catch(() => {});
		open = true;
		void requests.request({ type: "ping" });
		expect(ids).toEqual(["r1", "r2"]);
		expect(requests.size).toBe(1);
		requests.abandon();
	});

	it("answers each request once: a second answer with the same ref is not taken", async () => {
		const requests = new FrameRequests(() => true);
		const pending = requests.request({ type: "chat.create" });
		const ack: ControlMessage = { type: "ack", frame: "chat.create", ref: "r1", result: { n: 1 } };
		expect(requests.onControl(ack)).toBe(true);
		expect(requests.onControl({ ...ack, result: { n: 2 } })).toBe(false);
		await expect(pending).resolves.toMatchObject({ result: { n: 1 } });
	});

	it("ignores control messages without a ref", () => {
		const requests = new FrameRequests(() => true);
		void requests.request({ type: "ping" }).catch(() => {});
		expect(requests.onControl({ type: "pong" } as ControlMessage)).toBe(false);
		expect(requests.size).toBe(1);
		requests.failAll();
	});

	it("fails pending requests with the reason it is given", async () => {
		const requests = new FrameRequests(() => true);
		const pending = requests.request({ type: "ping" });
		requests.failAll("Signed out.");
		await expect(pending).rejects.toMatchObject({ name: "FrameError", code: "disconnected", message: "Signed out." });
	});

	it("abandons pending requests: no timer fires, nothing settles", async () => {
		const requests = new FrameRequests(() => true, 5);
		let settled = false;
		requests.request({ type: "ping" }).then(
			() => (settled = true),
			() => (settled = true),
		);
		requests.abandon();
		expect(requests.size).toBe(0);
		await new Promise((resolve) => setTimeout(resolve, 30));
		expect(settled).toBe(false);
	});
});
