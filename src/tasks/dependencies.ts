import { forbidden, invalid } from "../errors.ts";
import {
	dependenciesOf,
	dependencyEdges,
	failWaiting,
	promoteIfReady,
	waitingDependents,
} from "../storage/dependencies.ts";
import { getTask, type TaskRow } from "../storage/tasks.ts";
import { canChangeTask, canSeeTask } from "./audience.ts";
import { findCycle } from "./graph.ts";

export const MAX_DEPENDENCIES = 20;

/**
 * Checks a new task's `depends_on`: every id must be a task the creator can change, listed once,
 * and the graph (with the new task) must stay acyclic.
 */
export async function checkDependencies(
	env: Env,
	viewer: { userId: string; role: string },
	newTaskId: string,
	ids: string[],
): Promise<string[]> {
	const unique = [...new Set(ids)];
	if (unique.length > MAX_DEPENDENCIES) {
		throw invalid(`a task may depend on at most ${MAX_DEPENDENCIES} tasks`);
	}
	const rows = await Promise.all(unique.map((id) => getTask(env.DB, id)));
	const unknown = unique.filter((_id, i) => {
		const row = rows[i];
		return !row || !canSeeTask(row, viewer);
	});
	if (unknown.length > 0) {
		throw invalid(`unknown task ids in depends_on: ${unknown.join(", ")}`, {
			unknown,
		});
	}
	// A waiting dependent keeps its dependencies from being deleted: only tasks the creator may
	// change (the agent user, which sees every task, changes only its own).
	const others = unique.filter((_id, i) => !canChangeTask(rows[i] as TaskRow, viewer));
	if (others.length > 0) {
		throw forbidden(`depends_on may name only tasks you may change: ${others.join(", ")}`);
	}
	const edges = new Map(await dependencyEdges(env.DB, unique));
	edges.set(newTaskId, unique);
	const cycle = findCycle(edges);
	if (cycle) {
		throw invalid(`depends_on would make a cycle: ${cycle.join(" → ")}`, {
			cycle,
		});
	}
	return unique;
}

export type Settled = { promoted: TaskRow[]; failed: TaskRow[] };

/**
 * A waiting task whose dependencies are all settled moves on: queued if every one
 * succeeded, failed (saying which and why) if any failed or was cancelled.
 */
export async function resolveWaiting(env: Env, task: Pick<TaskRow, "id">, now: number): Promise<TaskRow | null> {
	const deps = await dependenciesOf(env.DB, task.id);
	const broken = deps.find((d) => d.status === "failed" || d.status === "cancelled");
	if (broken) {
		const why = broken.error ? `: ${broken.error}` : "";
		return failWaiting(env.DB, task.id, `dependency ${broken.id} ${broken.status}${why}`, now);
	}
	if (deps.every((d) => d.status === "succeeded")) return promoteIfReady(env.DB, task.id, now);
	return null;
}

/**
 * After `task` ended: let its waiting dependents move on, and cascade failures down the
 * graph. Returns what changed so the caller can announce and queue it.
 */
export async function settleDependents(env: Env, task: TaskRow, now: number, waiting?: TaskRow[]): Promise<Settled> {
	const settled: Settled = { promoted: [], failed: [] };
	const pending = [task];
	while (pending.length > 0) {
		const done = pending.shift() as TaskRow;
		const dependents = done === task && waiting ? waiting : await waitingDependents(env.DB, done.id);
		for (const dependent of dependents) {
			const changed = await resolveWaiting(env, dependent, now);
			if (changed?.status === "queued") settled.promoted.push(changed);
			if (changed?.status === "failed") {
				settled.failed.push(changed);
				pending.push(changed);
			}
		}
	}
	return settled;
}
