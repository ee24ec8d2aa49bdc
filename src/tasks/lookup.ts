import { forbidden, notFound } from "../errors.ts";
import { getTask, type TaskRow } from "../storage/tasks.ts";
import { canChangeTask, canSeeTask, type Viewer } from "./audience.ts";

/** The task, if the caller may see it. Someone else's task is "not found", not "forbidden". */
export async function visibleTask(env: Env, id: string, viewer: Viewer): Promise<TaskRow> {
	const task = await getTask(env.DB, id);
	if (!task || !canSeeTask(task, viewer)) throw notFound(`task ${id}`);
	return task;
}

/** The task, if the caller may change it: one they may only watch is refused with 403. */
export async function changeableTask(env: Env, id: string, actor: Viewer): Promise<TaskRow> {
	const task = await visibleTask(env, id, actor);
	if (!canChangeTask(task, actor)) throw forbidden(`task ${id} is not yours to change (you may watch it)`);
	return task;
}
