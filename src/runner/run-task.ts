import { hubRelay } from "../relay/hub-relay.ts";
import type { Publisher } from "../relay/publish.ts";
import type { Relay } from "../relay/relay.ts";
import type { SavedRun } from "../storage/checkpoints.ts";
import type { TaskRow } from "../storage/tasks.ts";
import { AGENT_USER_ID } from "../tasks/audience.ts";
import { Run, type RunnerDeps } from "./run.ts";
import type { RunResult } from "./run-ending.ts";

export type { RunnerDeps } from "./run.ts";
export type { RunResult } from "./run-ending.ts";

/**
 * The relay a consumer invocation's runs share: unpaced to the stream hubs, paced to the
 * agent's (it carries every run of the batch, so an invocation costs the agent hub at most
 * four calls a second however many runs it holds).
 */
export function runnerRelay(env: Env, publish?: Publisher): Relay {
	return hubRelay(env, { paced: (userId) => userId === AGENT_USER_ID, ...(publish ? { publish } : {}) });
}

/**
 * Runs one claimed task (status `running`, lease held by `owner`) through the agent, going
 * on from its checkpoint, and records how it ended. Every step is relayed to the task's
 * audience as it happens, and checkpointed before the next one starts. The run is a `Run`
 * (run.ts); this gives it a relay of its own when the caller has none to share.
 */
export async function runClaimedTask(
	env: Env,
	task: TaskRow,
	owner: string,
	deps: RunnerDeps = {},
	/** The checkpoint, when the claim read it (otherwise it is read here). */
	saved?: SavedRun,
): Promise<RunResult> {
	if (deps.relay) return new Run(env, task, owner, deps, deps.relay, saved).execute();
	const relay = runnerRelay(env, deps.publish);
	try {
		return await new Run(env, task, owner, deps, relay, saved).execute();
	} finally {
		await relay.close();
	}
}
