import { purgeTickets } from "./auth/tickets.ts";
import { depsFor } from "./deps.ts";
import { sweepExpiredFiles } from "./files/expiry.ts";
import { log } from "./log.ts";
import { sweepTasks } from "./runner/sweep.ts";
import { runDueSchedules } from "./schedules/service.ts";

/**
 * The once-a-minute housekeeping tick. Run by the Cron Trigger when deployed, and by the
 * Clock Durable Object's alarm under `wrangler dev` (which fires no crons). Every step is
 * idempotent, so both running it, or a late or doubled run, is harmless.
 */
export async function tick(env: Env, now: number, options: { resendAllQueued?: boolean } = {}): Promise<void> {
	const deps = depsFor(env);
	const scheduled = await runDueSchedules(deps, now);
	const tasks = await sweepTasks(deps, now, options);
	const tickets = await purgeTickets(env.DB, now);
	const files = await sweepExpiredFiles(env, now);
	if (scheduled || tickets || files || tasks.recovered || tasks.resent) {
		log.info("tick", { scheduled, ticketsPurged: tickets, filesExpired: files, ...tasks });
	}
}
