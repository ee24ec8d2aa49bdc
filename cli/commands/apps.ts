/** `sparky apps …`: the apps you connected to Sparky's /mcp with OAuth, and revoking one. */
import type { Command } from "commander";
import { z } from "zod";
import { ConnectedAppIdSchema, ConnectedAppSchema } from "../../src/protocol/oauth.ts";
import { act } from "../action.ts";
import { relativeTime, table } from "../output.ts";
import { check } from "../validate.ts";

const ListAnswer = z.object({ connected_apps: z.array(ConnectedAppSchema) });

export function addAppsCommands(program: Command): void {
	const apps = program.command("apps").description("apps connected to Sparky's /mcp with OAuth (docs/mcp.md)");

	apps
		.command("list")
		.alias("ls")
		.description("the apps you allowed, with their scopes")
		.action(
			act(async (ctx) => {
				const { data } = await ctx.api().get("/api/connected-apps", ListAnswer, "listing connected apps");
				const { out } = ctx;
				if (out.json) return out.printJson(data);
				if (data.connected_apps.length === 0) return out.line(out.c.dim("No connected apps."));
				const rows = data.connected_apps.map((a) => [
					a.id,
					a.client_name,
					a.redirect_host ?? "—",
					a.scopes.join(" "),
					relativeTime(a.created_at),
				]);
				out.line(table(out, ["ID", "APP", "SENDS TO", "SCOPES", "CONNECTED"], rows));
			}),
		);

	apps
		.command("revoke")
		.description("revoke an app: its tokens stop working at once")
		.argument("<id>", "the app's id (sparky apps list)")
		// The OAuth provider makes grant ids, and one may begin with "-": an id, not an option.
		.allowUnknownOption()
		.action(
			act(async (ctx, raw: string) => {
				const id = check(ConnectedAppIdSchema, raw, "app id");
				await ctx.api().send("DELETE", `/api/connected-apps/${encodeURIComponent(id)}`, z.unknown(), {
					label: "revoking",
				});
				if (ctx.out.json) ctx.out.printJson({ revoked: true, id });
				else ctx.out.line(`Revoked connected app ${id}; it must ask you again to connect.`);
			}),
		);
}
