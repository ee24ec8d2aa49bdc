import { describe, expect, it } from "vitest";
import { newUser } from "../support/api.ts";
import { connect, type SocketRecorder } from "../support/sockets.ts";

async function openTab(): Promise<SocketRecorder> {
	const user = await newUser();
	const tab = await connect({ token: user.token });
	await tab.untilControl("session");
	return tab;
}

/** After a bad frame the socket must still work: a ping gets its pong. */
async function expectStillServing(tab: SocketRecorder): Promise<void> {
	const id = `alive-${Math.random()}`;
	tab.send({ type: "ping", id });
	await tab.until(() => tab.controls.some((c) => c.type === "pong" && c.ref === id), "pong");
	expect(tab.closeEvent).toBeUndefined();
}

describe("client frames", () => {
	it("answers a ping with a pong carrying the frame id", async () => {
		const tab = await openTab();
		tab.send({ type: "ping", id: "abc" });
		await tab.untilControl("pong");
		expect(tab.control("pong")).toEqual({ type: "pong", ref: "abc", ts: expect.any(Number) });
		tab.close();
	});

	it("answers the bare keep-alive ping without waking the hub", async () => {
		const tab = await openTab();
		tab.send('{"type":"ping"}');
		await tab.untilControl("pong");
		// The runtime's auto-response is exactly this frame (no ts: the object never ran).
		expect(tab.frames.at(-1)).toBe('[{"type":"pong"}]');
		tab.close();
	});

	it.each([
		["not JSON", "{nope", "invalid_json"],
		["an unknown type", { type: "dance" }, "validation_failed"],
		["unknown fields", { type: "ping", extra: true }, "validation_failed"],
		["a wrong field type", { type: "resume", since: "yesterday" }, "validation_failed"],
		["a negative cursor", { type: "resume", since: -1 }, "validation_failed"],
		["no type", { since: 3 }, "validation_failed"],
		["a JSON array", [1, 2], "validation_failed"],
		["JSON null", "null", "validation_failed"],
	])("refuses %s with an error frame and stays open", async (_, frame, code) => {
		const tab = await openTab();
		tab.send(frame as string | object);
		await tab.untilControl("error");
		expect(tab.control("error")).toMatchObject({ type: "error", code, message: expect.any(String) });
		await expectStillServing(tab);
		tab.close();
	});

	it("echoes the id of an invalid frame as ref, with the failing path", async () => {
		const tab = await openTab();
		tab.send({ type: "resume", id: "r9", since: "x" });
		await tab.untilControl("error");
		expect(tab.control("error")).toMatchObject({
			ref: "r9",
			details: [{ path: "since", message: expect.any(String) }],
		});
		tab.close();
	});

	it("refuses binary frames with an error frame", async () => {
		const tab = await openTab();
		tab.send(new Uint8Array([1, 2, 3]).buffer);
		await tab.untilControl("error");
		expect(tab.control("error")?.code).toBe("unsupported_frame");
		await expectStillServing(tab);
		tab.close();
	});

	it("closes with 1009 on a frame over the size limit", async () => {
		const tab = await openTab();
		tab.send({ type: "ping", id: "x", pad: "y".repeat(70 * 1024) });
		const closed = await tab.untilClosed();
		expect(closed.code).toBe(1009);
	});

	it("closes with 1009 on an oversized binary frame too", async () => {
		const tab = await openTab();
		tab.send(new Uint8Array(65 * 1024).buffer);
		expect((await tab.untilClosed()).code).toBe(1009);
	});

	it("counts multi-byte characters against the limit in bytes", async () => {
		const tab = await openTab();
		// 30k characters, 90k bytes in UTF-8: over the 64 KiB limit.
		tab.send({ type: "ping", id: "€".repeat(30 * 1024) });
		expect((await tab.untilClosed()).code).toBe(1009);
	});
});
