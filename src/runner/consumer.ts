import { depsFor } from "../deps.ts";
import { log } from "../log.ts";
import { describeIssues, TaskMessageSchema } from "../protocol/index.ts";
import type { Relay } from "../relay/relay.ts";
import { endCancelRequested, failUnfinished } from "../storage/task-runs.ts";
import { afterTaskEnded } from "../tasks/service.ts";
import { publishTaskStatus } from "../tasks/status-events.ts";
import { Run, type RunnerDeps } from "./run.ts";
import { runnerRelay } from "./run-task.ts";

/**
 * The task queue's consumer. Each message is acked or retried on its own, never the batch.
 * The batch's runs share one relay: what they emit together leaves together, one call per
 * hub at a time, and the agent's hub gets a paced call for the whole batch, not one per run.
 */
export async function consumeTasks(batch: MessageBatch<unknown>, env: Env, deps: RunnerDeps = {}): Promise<void> {
	const relay = deps.relay ?? runnerRelay(env, deps.publish);
	await Promise.all(batch.messages.map((message) => consumeOne(message, env, { ...deps, relay })));
	if (deps.relay) return;
	const stats = await relay.close();
	log.info("task batch relayed", { messages: batch.messages.length, ...stats });
}

async function consumeOne(message: Message<unknown>, env: Env, deps: RunnerDeps & { relay: Relay }): Promise<void> {
	const parsed = TaskMessageSchema.safeParse(message.body);
	if (!parsed.success) {
		// Nothing can ever make it valid: acknowledge so it doesn't cycle to the dead-letter queue.
		log.warn("dropping malformed task message", { messageId: message.id, issues: describeIssues(parsed.error) });
		message.ack();
		return;
	}
	const taskId = parsed.data.task_id;
	try {
		const run = await Run.claim(env, taskId, deps);
		if (!run) {
			// Finished, cancelled, unknown, or held by a live lease: a redelivery, nothing to do.
			// Or queued with a cancel request (its runner died after the cancel): end it now.
			for (const ended of await endCancelRequested(env.DB, Date.now(), taskId)) {
				const services = depsFor(env, deps.relay);
				await publishTaskStatus(services, ended);
				await afterTaskEnded(services, ended);
			}
			message.ack();
			return;
		}
		const result = await run.execute();
		if (result.kind === "retry") message.retry({ delaySeconds: result.delaySeconds });
		else message.ack();
	} catch (error) {
		// Infrastructure trouble (D1, RPC): let the queue deliver it again; the sweep covers a lost lease.
		log.error("task message failed; will be redelivered", { taskId, attempts: message.attempts, error });
		message.retry({ delaySeconds: 10 });
	}
}

/** Consumer of the dead-letter queue: the task's messages kept failing, so the task fails. */
export async function consumeDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
	for (const message of batch.messages) {
		const parsed = TaskMessageSchema.safeParse(message.body);
		if (parsed.success) {
			try {
				const row = await failUnfinished(
					env.DB,
					parsed.data.task_id,
					`gave up: the task's queue message failed ${message.attempts} deliveries (dead-letter queue)`,
					Date.now(),
				);
				if (row) {
					const deps = depsFor(env);
					await publishTaskStatus(deps, row);
					await afterTaskEnded(deps, row);
				}
			} catch (error) {
				log.error("dead-letter handling failed", { taskId: parsed.data.task_id, error });
				message.retry();
				continue;
			}
		}
		message.ack();
	}
}
