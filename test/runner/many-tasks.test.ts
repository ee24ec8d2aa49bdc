import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DemoLanguageModel } from "../../src/agent/demo-model.ts";
import { hubFor } from "../../src/hub/stub.ts";
import type { WireEvent } from "../../src/protocol/index.ts";
import { newUser } from "../support/api.ts";
import { asResolution } from "../support/models.ts";
import { connect, seqsOf } from "../support/sockets.ts";
import { deliverBatch, queuedTask } from "../support/tasks.ts";

// Issue #33: one user, many tasks streaming at once into that user's hub, from several relays
// (a consumer batch each, as Queues spreads a user's tasks in production), while the hub paces
// them (hub/intake-pace.ts). One task's stream must still be whole and in order.
const TASKS = 100;
const BATCHES = 4;
const INSTRUCTION = "list files";

/** A task's stream as its watcher reads it, with the relay's merging undone: what a run said, in order. */
function said(events: WireEvent[], taskId: string): string[] {
	const out: string[] = [];
	for (const e of events) {
		const delta = typeof e.delta === "string" ? e.delta : undefined;
		const key = `${e.type}:${String(e.messageId ?? e.toolCallId ?? "")}`;
		const last = out.at(-1);
		if (delta !== undefined && last?.startsWith(`${key}|`)) out[out.length - 1] = `${last}${delta}`;
		else if (delta !== undefined) out.push(`${key}|${delta}`);
		else if (e.type !== "CUSTOM") out.push(e.type);
		else out.push(`CUSTOM:${String(e.name)}:${String((e.value as { status?: string } | undefined)?.status ?? "")}`);
	}
	// Ids differ from task to task; what was said, and in which order, must not.
	return out.map((line) => line.replaceAll(taskId, "…"));
}

describe("one user's hub with a hundred tasks streaming at once", () => {
	it("keeps each task's full stream complete, in order and gap-free for the user's socket", {
		timeout: 120_000,
	}, async () => {
		const user = await newUser();
		const model = () => asResolution(new DemoLanguageModel({ chunkDelayMs: 1 }), "sparky:demo");
		// The same task alone first: what a whole stream says.
		const solo = await queuedTask(user.id, { instruction: INSTRUCTION });
		await deliverBatch([solo.id], { model: model() });
		const alone = said((await hubFor(env, user.id).taskEvents(solo.id)).events, solo.id);
		expect(alone).toContain("RUN_FINISHED");
		expect(alone.at(-1)).toBe("CUSTOM:sparky.task.status:succeeded");
		expect(alone.some((line) => line.startsWith("TEXT_MESSAGE_CONTENT:"))).toBe(true);

		// The user's tab watches live (the hub keeps only its newest events: 200 in tests).
		const tab = await connect({ token: user.token });
		await tab.untilControl("session");
		const tasks = await Promise.all(
			Array.from({ length: TASKS }, () => queuedTask(user.id, { instruction: INSTRUCTION })),
		);
		const ids = tasks.map((t) => t.id);
		const before = await hubFor(env, user.id).diagnostics();
		await Promise.all(
			Array.from({ length: BATCHES }, (_, b) =>
				deliverBatch(
					ids.filter((_, i) => i % BATCHES === b),
					{ model: model() },
				),
			),
		);
		const after = await hubFor(env, user.id).diagnostics();
		const stored = after.last_seq - before.last_seq;
		await tab.until(() => tab.events.filter((e) => e.seq > before.last_seq).length >= stored, "every event", 30_000);
		const seen = tab.events.filter((e) => e.seq > before.last_seq);
		expect(seqsOf(seen)).toEqual(Array.from({ length: stored }, (_, i) => before.last_seq + 1 + i));
		for (const id of ids)
			expect(
				said(
					seen.filter((e) => e.task_id === id),
					id,
				),
			).toEqual(alone);
		// Four relays wrote to the hub, merged: far fewer calls than events.
		expect(after.publishes - before.publishes).toBeLessThan(stored);
		tab.close();
	});
});
