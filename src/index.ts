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

export default {
	fetch(request, env, ctx) {
		if (!clockArmed) {
			clockArmed = true;
			if (agentConfig(env).localClock)
				ctx.waitUntil(
					env.CLOCK.getByName("clock")
						.start()
						.catch(() => (clockArmed = false)),
				);
		}
		return app.fetch(request, env, ctx);
	},
	async queue(batch, env) {
		if (batch.queue.endsWith("-dlq")) await consumeDeadLetters(batch, env);
		else await consumeTasks(batch, env);
	},
	async scheduled(controller, env) {
		try {
			await tick(env, controller.scheduledTime);
		} catch (error) {
			log.error("scheduled tick failed", { cron: controller.cron, error });
			throw error;
		}
	},
} satisfies ExportedHandler<Env>;
