import { DurableObject } from "cloudflare:workers";
import { log } from "./log.ts";
import { tick } from "./scheduled.ts";

const MINUTE = 60_000;

/**
 * A one-minute clock for `wrangler dev`, which doesn't fire Cron Triggers: a single Durable
 * Object whose alarm runs the same `tick` the cron runs, then re-arms. Alarms persist, so
 * it keeps ticking across restarts once started. Enabled by SPARKY_LOCAL_CLOCK=on.
 */
export class Clock extends DurableObject<Env> {
	/** Arms the alarm unless it already is. Cheap: called on every Worker start-up. */
	async start(): Promise<boolean> {
		if ((await this.ctx.storage.getAlarm()) !== null) return false;
		await this.ctx.storage.setAlarm(Date.now() + MINUTE);
		return true;
	}

	override async alarm(): Promise<void> {
		try {
			await tick(this.env, Date.now());
		} catch (error) {
			log.error("clock tick failed", { handler: "Clock.alarm", error });
		}
		await this.ctx.storage.setAlarm(Date.now() + MINUTE);
	}
}
