import { createApp } from "./app.ts";
import { agentConfig } from "./config.ts";
import { log } from "./log.ts";
import { consumeDeadLetters, consumeTasks } from "./runner/consumer.ts";
import { tick } from "./scheduled.ts";

export { Clock } from "./clock.ts";
export { UserHub } from "./user-hub.ts";

const app = createApp();
/** Set once per isolate: the local clock only needs arming, not a call per request. */
let clockArmed = false;

/** The clock (src/clock.ts) re-arms itself; this makes sure it was started once, by whatever ran first. */
async function armClock(env: Env): Promise<void> {
	if (clockArmed) return;
	clockArmed = true;
	const config = agentConfig(env);
	if (!config.localClock && !config.leaseSweep) return;
	try {
		await env.CLOCK.getByName("clock").start();
	} catch (error) {
		clockArmed = false;
		log.warn("could not start the clock; the next request tries again", { error });
	}
}

export default {
	fetch(request, env, ctx) {
		if (!clockArmed) ctx.waitUntil(armClock(env));
		return app.fetch(request, env, ctx);
	},
	async queue(batch, env, ctx) {
		if (batch.queue.endsWith("-dlq")) await consumeDeadLetters(batch, env);
		else await consumeTasks(batch, env, { waitUntil: (promise) => ctx.waitUntil(promise) });
	},
	async scheduled(controller, env) {
		await armClock(env);
		try {
			await tick(env, controller.scheduledTime);
		} catch (error) {
			log.error("scheduled tick failed", { cron: controller.cron, error });
			throw error;
		}
	},
} satisfies ExportedHandler<Env>;
