import { createApp } from "./app.ts";
import { log } from "./log.ts";
import { tick } from "./scheduled.ts";

export { UserHub } from "./hub/user-hub.ts";

const app = createApp();

export default {
	fetch: app.fetch,
	async scheduled(controller, env) {
		try {
			await tick(env, controller.scheduledTime);
		} catch (error) {
			log.error("scheduled tick failed", { cron: controller.cron, error });
			throw error;
		}
	},
} satisfies ExportedHandler<Env>;
