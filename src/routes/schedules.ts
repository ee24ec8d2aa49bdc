import { Hono } from "hono";
import { z } from "zod";
import { depsFor } from "../deps.ts";
import { notFound } from "../errors.ts";
import { type AppEnv, requireAuth } from "../http/auth.ts";
import { jsonBody, paramsOf } from "../http/validate.ts";
import { CreateScheduleBodySchema, ScheduleNameSchema, UpdateScheduleBodySchema } from "../protocol/index.ts";
import { createSchedule, runScheduleNow, toSchedule, updateSchedule } from "../schedules/service.ts";
import { deleteSchedule, getSchedule, listSchedules, type ScheduleRow } from "../storage/schedules.ts";
import { toTask } from "../storage/tasks.ts";

const NameParams = z.object({ name: ScheduleNameSchema });

/** Schedules, under /api/schedules: a user's own, addressed by name. */
export const schedulesRoutes = new Hono<AppEnv>()
	.use(requireAuth)
	.get("/", async (c) => c.json({ schedules: (await listSchedules(c.env.DB, c.var.auth.userId)).map(toSchedule) }))
	.post("/", jsonBody(CreateScheduleBodySchema), async (c) => {
		const row = await createSchedule(c.env, c.var.auth.userId, c.req.valid("json"));
		return c.json({ schedule: toSchedule(row) }, 201);
	})
	.get("/:name", paramsOf(NameParams), async (c) =>
		c.json({ schedule: toSchedule(await own(c.env, c.var.auth.userId, c.req.valid("param").name)) }),
	)
	.patch("/:name", paramsOf(NameParams), jsonBody(UpdateScheduleBodySchema), async (c) => {
		const row = await own(c.env, c.var.auth.userId, c.req.valid("param").name);
		return c.json({ schedule: toSchedule(await updateSchedule(c.env, row, c.req.valid("json"))) });
	})
	.post("/:name/enable", paramsOf(NameParams), async (c) => {
		const row = await own(c.env, c.var.auth.userId, c.req.valid("param").name);
		return c.json({ schedule: toSchedule(await updateSchedule(c.env, row, { enabled: true })) });
	})
	.post("/:name/disable", paramsOf(NameParams), async (c) => {
		const row = await own(c.env, c.var.auth.userId, c.req.valid("param").name);
		return c.json({ schedule: toSchedule(await updateSchedule(c.env, row, { enabled: false })) });
	})
	.post("/:name/run", paramsOf(NameParams), async (c) => {
		const row = await own(c.env, c.var.auth.userId, c.req.valid("param").name);
		return c.json({ task: toTask(await runScheduleNow(depsFor(c.env), row)) }, 201);
	})
	.delete("/:name", paramsOf(NameParams), async (c) => {
		const row = await own(c.env, c.var.auth.userId, c.req.valid("param").name);
		await deleteSchedule(c.env.DB, row.id);
		return c.body(null, 204);
	});

async function own(env: Env, userId: string, name: string): Promise<ScheduleRow> {
	const row = await getSchedule(env.DB, userId, name);
	if (!row) throw notFound(`schedule "${name}"`);
	return row;
}
