// The open-task cap (SPARKY_MAX_OPEN_TASKS), checked inside the task's insert.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { depsFor } from "../../src/deps.ts";
import { SparkyError } from "../../src/errors.ts";
import { createTask } from "../../src/tasks/service.ts";
import { newUser } from "../support/api.ts";

const capped = { ...env, SPARKY_MAX_OPEN_TASKS: "2" } as Env;
const deps = depsFor(capped);

const add = (userId: string, instruction: string, idempotencyKey?: string) =>
	createTask(deps, { userId, instruction, allowDuplicates: true, ...(idempotencyKey ? { idempotencyKey } : {}) });

describe("the open-task cap", () => {
	it("refuses a task past the cap with a 409 naming it, replays an earlier key, and frees up as tasks end", async () => {
		const user = await newUser();
		const first = await add(user.id, "one", "key-1");
		expect(first.kind).toBe("created");
		expect((await add(user.id, "two")).kind).toBe("created");

		const refused = await add(user.id, "three").catch((error: unknown) => error);
		expect(refused).toBeInstanceOf(SparkyError);
		expect((refused as SparkyError).kind).toBe("conflict");
		expect(JSON.stringify((refused as SparkyError).details)).toContain("SPARKY_MAX_OPEN_TASKS");
		const open = await env.DB.prepare("SELECT count(*) AS n FROM tasks WHERE user_id = ?").bind(user.id).first<{
			n: number;
		}>();
		expect(open?.n).toBe(2);

		// A retried request with its Idempotency-Key still gets its task back at the cap.
		const replay = await add(user.id, "one", "key-1");
		expect(replay.kind).toBe("idempotent");

		// Another user is not affected by this one's cap.
		const other = await newUser();
		expect((await add(other.id, "three")).kind).toBe("created");

		// One task ends: there is room for one more.
		if (first.kind !== "created") throw new Error("unreachable");
		await env.DB.prepare("UPDATE tasks SET status = 'succeeded' WHERE id = ?").bind(first.task.id).run();
		expect((await add(user.id, "three")).kind).toBe("created");
		await expect(add(user.id, "four")).rejects.toBeInstanceOf(SparkyError);
	});
});
