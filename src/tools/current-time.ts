import { z } from "zod";
import { defineTool, fail } from "./types.ts";

export const currentTimeTool = defineTool({
	name: "current_time",
	idempotent: true,
	description: "The current date and time, in UTC and optionally in an IANA time zone (e.g. Europe/Paris).",
	input: z.strictObject({ timezone: z.string().min(1).max(64).optional() }),
	async execute({ timezone }, ctx) {
		const now = new Date(ctx.now());
		const zone = timezone ?? "UTC";
		let local: string;
		try {
			local = new Intl.DateTimeFormat("en-GB", {
				timeZone: zone,
				dateStyle: "full",
				timeStyle: "long",
			}).format(now);
		} catch {
			return fail(`unknown time zone "${zone}" (use an IANA name like America/New_York)`);
		}
		return { iso: now.toISOString(), unix_ms: now.getTime(), timezone: zone, local };
	},
});
