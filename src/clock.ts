import { DurableObject } from "cloudflare:workers";
import { agentConfig } from "./config.ts";
import { depsFor } from "./deps.ts";
import { log } from "./log.ts";
import { sweepLeases } from "./runner/sweep.ts";
import { tick } from "./scheduled.ts";

/** The full tick's period: one minute, unless SPARKY_CLOCK_SECONDS says otherwise (the fault suite ticks faster). */
function tickInterval(env: Env): number {
	const seconds = Number(env.SPARKY_CLOCK_SECONDS ?? 60);
	return Number.isFinite(seconds) && seconds >= 1 ? seconds * 1000 : 60_000;
}

/**
 * A clock that works in both places: a single Durable Object whose alarm re-arms itself
 * (alarms persist, so it keeps going across restarts and deploys once started).
 * - Every SPARKY_SWEEP_SECONDS (5 s) it takes back tasks whose runner died (an expired lease)
 *   and expires approvals: Cron Triggers fire once a minute at most, which is too slow for that.
 * - With SPARKY_LOCAL_CLOCK=on (`npm start`: `wrangler dev` fires no Cron Triggers) it also
 *   runs the minute's full tick, which the Cron Trigger runs when deployed.
 */
export class Clock extends DurableObject<Env> {
	/**
	 * Local Queues keep messages in memory: a restarted `wrangler dev` has lost every queued
	 * task's message. The first full tick of each new instance sends them all again (duplicates
	 * are harmless: only a queued task can be claimed).
	 */
	#firstTick = true;
	#lastTick = 0;

	/**
	 * Arms the alarm unless it already is. Cheap: called once per Worker isolate. An alarm long
	 * overdue (a local process killed while it was due) is armed again.
	 */
	async start(): Promise<boolean> {
		const at = await this.ctx.storage.getAlarm();
		if (at !== null && at > Date.now() - 2 * this.#period()) return false;
		await this.ctx.storage.setAlarm(Date.now() + this.#period());
		return true;
	}

	override async alarm(): Promise<void> {
		const now = Date.now();
		try {
			if (agentConfig(this.env).localClock && now - this.#lastTick >= tickInterval(this.env) - 500) {
				this.#lastTick = now;
				await tick(this.env, now, { resendAllQueued: this.#firstTick });
				this.#firstTick = false;
			} else {
				await sweepLeases(depsFor(this.env), now);
			}
		} catch (error) {
			log.error("clock tick failed", { handler: "Clock.alarm", error });
		}
		await this.ctx.storage.setAlarm(Date.now() + this.#period());
	}

	#period(): number {
		const sweep = agentConfig(this.env).sweepMs;
		return agentConfig(this.env).localClock ? Math.min(sweep, tickInterval(this.env)) : sweep;
	}
}
