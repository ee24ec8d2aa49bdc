import { log } from "./log.ts";

/**
 * Failpoints for the fault suite (test/faults): with SPARKY_FAILPOINTS=name,… set, the code
 * stops forever at that point and says so in the log, so the suite can kill the process at an
 * exact, known moment (mid fan-out, mid D1 write). Unset in every real deployment: a no-op.
 */
export async function failpoint(env: { SPARKY_FAILPOINTS?: string }, name: FailpointName): Promise<void> {
	const armed = env.SPARKY_FAILPOINTS;
	if (!armed?.split(",").includes(name)) return;
	log.warn("FAILPOINT reached; stopping here until the process is killed", { failpoint: name });
	await new Promise<never>(() => {});
}

export type FailpointName =
	/** In UserHub.publish: the batch is stored, nothing has been sent to sockets yet. */
	| "hub.after-store"
	/** In the runner: the agent finished, its outcome is not yet written to D1. */
	| "runner.before-finish"
	/** In the runner: a tool call ran and its result is checkpointed; the run hasn't gone on. */
	| "runner.after-tool";
