import { DurableObject } from "cloudflare:workers";
import { log } from "./log.ts";
import { tick } from "./scheduled.ts";

/** One minute, unless SPARKY_CLOCK_SECONDS says otherwise (the fault suite ticks faster). */
function interval(env: Env): number {
	const seconds = Number(env.SPARKY_CLOCK_SECONDS ?? 60);
	return Number.isFinite(seconds) && seconds >= 1 ? seconds * 1000 : 60_000;
}

/**
 * A one-minute clock for `wrangler dev`, which doesn't fire Cron Triggers: a single Durable
 * Object whose alarm runs the same `tick` the cron runs, then re-arms. Alarms persist, so
 * it keeps ticking across restarts once started. Enabled by SPARKY_LOCAL_CLOCK=on.
 */
export class Clock extends DurableObject<Env> {
	/**
	 * Local Queues keep messages in memory: a restarted `wrangler dev` has lost every queued
	 * task's message. The first tick of each new instance sends them all again (duplicates
	 * are harmless: only a queued task can be claimed).
	 */
	#firstTick = true;

	/** Arms the alarm unless it already is. Cheap: called on every Worker start-up. */
	async start(): Promise<boolean> {
		if ((await this.ctx.storage.getAlarm()) !== null) return false;
		await this.ctx.storage.setAlarm(Date.now() + interval(this.env));
		return true;
	}

	override async alarm(): Promise<void> {
		try {
			await tick(this.env, Date.now(), { resendAllQueued: this.#firstTick });
			this.#firstTick = false;
		} catch (error) {
			log.error("clock tick failed", { handler: "Clock.alarm", error });
		}
		await this.ctx.storage.setAlarm(Date.now() + interval(this.env));
	}
}
