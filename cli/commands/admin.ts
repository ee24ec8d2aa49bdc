/** `sparky users …` and `sparky tokens …` (admin tokens only). */
import { type Command, Option } from "commander";
import { DurationSchema, UserIdSchema } from "../../src/protocol/index.ts";
import { act } from "../action.ts";
import { usageError } from "../errors.ts";
import type { Token } from "../http.ts";
import { type Output, relativeTime, table, timestamp } from "../output.ts";
import { check, checkId } from "../validate.ts";

const ROLES = ["admin", "user"];

export function addAdminCommands(program: Command): void {
	const users = program.command("users").alias("user").description("users (admin)");

	users
		.command("add")
		.description("create a user")
		.argument("<id>", "user id: lower-case letters, digits, _ . -")
		.addOption(new Option("--role <role>", "role").choices(ROLES).default("user"))
		.action(
			act(async (ctx, id: string, options: { role: string }) => {
				const { data } = await ctx.api().createUser({ id: check(UserIdSchema, id, "user id"), role: options.role });
				if (ctx.out.json) return ctx.out.printJson(data);
				ctx.out.line(
					`Created user ${ctx.out.c.bold(data.user.id)} (${data.user.role}). Give them a token: sparky tokens create ${data.user.id}`,
				);
			}),
		);

	users
		.command("list")
		.alias("ls")
		.description("every user")
		.action(
			act(async (ctx) => {
				const { data } = await ctx.api().listUsers();
				const { out } = ctx;
				if (out.json) return out.printJson(data);
				out.line(
					table(
						out,
						["ID", "ROLE", "CREATED"],
						// `admin` and `agent` come with the schema (created_at 0): no date to show.
						data.users.map((u) => [u.id, u.role, u.created_at === 0 ? "built in" : timestamp(u.created_at)]),
					),
				);
			}),
		);

	const tokens = program.command("tokens").alias("token").description("API tokens (admin)");

	tokens
		.command("create")
		.description("create a token for a user; the secret is shown this once")
		.argument("<user>", "the user it belongs to")
		.option("--name <name>", "a label, e.g. laptop")
		.addOption(new Option("--role <role>", "role (default: the user's)").choices(ROLES))
		.option("--expires-in <duration>", "e.g. 30d, 12h, 90m (default: never)")
		.addHelpText("after", "\nExample:\n  sparky tokens create alice --name laptop --expires-in 30d")
		.action(
			act(async (ctx, user: string, options: { name?: string; role?: string; expiresIn?: string }) => {
				check(UserIdSchema, user, "user id");
				if (options.expiresIn !== undefined) check(DurationSchema, options.expiresIn, "--expires-in");
				const name = options.name?.trim();
				if (options.name !== undefined && (!name || name.length > 100))
					throw usageError("invalid --name: 1-100 characters");
				const { data } = await ctx.api().createToken(user, {
					...(name ? { name } : {}),
					...(options.role ? { role: options.role } : {}),
					...(options.expiresIn ? { expires_in: options.expiresIn } : {}),
				});
				const { out } = ctx;
				if (out.json) return out.printJson(data);
				out.line(
					`Token ${out.c.bold(data.id)} for ${data.user_id} (${data.role}${data.name ? `, "${data.name}"` : ""}${
						data.expires_at ? `, expires ${timestamp(data.expires_at)}` : ", never expires"
					}):`,
				);
				out.line(`\n  ${out.c.bold(data.token)}\n`);
				out.line(out.c.yellow("It is shown only this once: store it now."));
			}),
		);

	tokens
		.command("list")
		.alias("ls")
		.description("a user's tokens (never the secrets)")
		.argument("<user>", "user id")
		.action(
			act(async (ctx, user: string) => {
				const { data } = await ctx.api().listTokens(check(UserIdSchema, user, "user id"));
				const { out } = ctx;
				if (out.json) return out.printJson(data);
				if (data.tokens.length === 0) return out.line(out.c.dim(`${user} has no tokens.`));
				out.line(
					table(
						out,
						["ID", "NAME", "ROLE", "STATE", "CREATED", "EXPIRES", "LAST USED"],
						data.tokens.map((t) => [
							t.id,
							t.name ?? "",
							t.role,
							tokenState(ctx.out, t),
							timestamp(t.created_at),
							t.expires_at ? timestamp(t.expires_at) : "never",
							relativeTime(t.last_used_at),
						]),
					),
				);
			}),
		);

	tokens
		.command("revoke")
		.description("revoke a token; its open sockets close at once")
		.argument("<token-id>", "the token's id (tok_…), not its secret")
		.action(
			act(async (ctx, id: string) => {
				const { data } = await ctx.api().revokeToken(checkId(id, "token id"));
				if (ctx.out.json) return ctx.out.printJson(data);
				ctx.out.line(
					`Revoked ${data.token.id} (${data.token.user_id}${data.token.name ? `, "${data.token.name}"` : ""}); ${
						data.sockets_closed
					} open socket${data.sockets_closed === 1 ? "" : "s"} closed.`,
				);
			}),
		);
}

function tokenState(out: Output, t: Token): string {
	if (t.revoked_at) return out.c.red("revoked");
	if (t.expires_at && t.expires_at <= Date.now()) return out.c.yellow("expired");
	return out.c.green("active");
}
