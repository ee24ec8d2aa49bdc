import { Hono } from "hono";
import { z } from "zod";
import { notFound, tooLarge } from "../errors.ts";
import { type AppEnv, requireAuth } from "../http/auth.ts";
import { jsonBody, paramsOf, queryOf } from "../http/validate.ts";
import { createMemory, forgetMemory, listMemories, ownMemory, updateMemory } from "../memory/service.ts";
import { exportMemories, importMemories } from "../memory/transfer.ts";
import {
	CreateMemoryBodySchema,
	ListMemoriesQuerySchema,
	MemoryIdSchema,
	MemoryLimits,
	UpdateMemoryBodySchema,
} from "../protocol/index.ts";

const MemoryParams = z.object({ id: MemoryIdSchema });

/**
 * Long-term memories, under /api/memories: always the caller's own. Every query is scoped
 * to the token's user, so an admin, the `agent` user or the admin secret sees only its own
 * memories, and another user's id is as missing as one that never was (404).
 */
export const memoriesRoutes = new Hono<AppEnv>()
	.use(requireAuth)
	.get("/", queryOf(ListMemoriesQuerySchema), async (c) => {
		const query = c.req.valid("query");
		const pinned = query.pinned === undefined ? undefined : query.pinned === "true";
		return c.json(await listMemories(c.env, c.var.auth.userId, { ...query, pinned }));
	})
	.post("/", jsonBody(CreateMemoryBodySchema), async (c) => {
		const memory = await createMemory(c.env, c.var.auth.userId, c.req.valid("json"), { kind: "you" });
		return c.json({ memory }, 201);
	})
	// Before /:id, which would take "export" and "import" for ids.
	.get("/export", (c) => {
		const day = new Date().toISOString().slice(0, 10);
		return c.body(exportMemories(c.env, c.var.auth.userId), 200, {
			"Content-Type": "application/x-ndjson; charset=utf-8",
			"Content-Disposition": `attachment; filename="sparky-memories-${day}.jsonl"`,
		});
	})
	// Its body may be larger than other requests' (app.ts leaves this path to it): read as it comes.
	.post("/import", async (c) => {
		const length = Number(c.req.header("Content-Length") ?? 0);
		if (length > MemoryLimits.importBytes) throw tooLarge(`import body over ${MemoryLimits.importBytes} bytes`);
		return c.json(await importMemories(c.env, c.var.auth.userId, c.req.raw.body));
	})
	.get("/:id", paramsOf(MemoryParams), async (c) => {
		return c.json({ memory: await ownMemory(c.env, c.var.auth.userId, c.req.valid("param").id) });
	})
	.patch("/:id", paramsOf(MemoryParams), jsonBody(UpdateMemoryBodySchema), async (c) => {
		const memory = await updateMemory(c.env, c.var.auth.userId, c.req.valid("param").id, c.req.valid("json"));
		return c.json({ memory });
	})
	.delete("/:id", paramsOf(MemoryParams), async (c) => {
		const { id } = c.req.valid("param");
		if (!(await forgetMemory(c.env, c.var.auth.userId, id))) throw notFound(`memory ${id}`);
		return c.body(null, 204);
	});
