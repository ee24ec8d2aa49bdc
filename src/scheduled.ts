import { purgeTickets } from "./auth/tickets.ts";
import { log } from "./log.ts";

/** The once-a-minute housekeeping tick (Cron Trigger). Every step is idempotent. */
export async function tick(env: Env, now: number): Promise<void> {
	const tickets = await purgeTickets(env.DB, now);
	if (tickets > 0) log.info("tick", { ticketsPurged: tickets });
}
