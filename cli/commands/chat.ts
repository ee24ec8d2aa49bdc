/** `sparky chat` (interactive) and `sparky chats list|show|delete`. */
import type { Command } from "commander";
import { Timeline } from "../../src/client/index.ts";
import { act } from "../action.ts";
import { runChat } from "../chat.ts";
import { oneLine, relativeTime, table } from "../output.ts";
import { confirmed } from "../prompt.ts";
import { StreamPrinter } from "../render.ts";
import { checkId, integer } from "../validate.ts";

export function addChatCommands(program: Command): void {
	program
		.command("chat")
		.description("chat with the agent in the terminal (streams answers, shows tool calls)")
		.option("--chat <id>", "continue this chat")
		.option("--latest", "continue your most recent chat without asking")
		.option("--new", "start a new chat without asking")
		.addHelpText(
			"after",
			"\nCtrl+C stops a running answer; Ctrl+C again (or with nothing running), Ctrl+D or /exit quits.",
		)
		.action(act(async (ctx, options: { chat?: string; latest?: boolean; new?: boolean }) => runChat(ctx, options)));

	const chats = program.command("chats").description("your chats");

	chats
		.command("list")
		.alias("ls")
		.description("your chats, most recent first")
		.action(
			act(async (ctx) => {
				const { data } = await ctx.api().listChats();
				const { out } = ctx;
				if (out.json) return out.printJson(data);
				if (data.chats.length === 0) return out.line(out.c.dim("No chats yet: start one with `sparky chat`."));
				out.line(
					table(
						out,
						["ID", "UPDATED", "TITLE"],
						data.chats.map((chat) => [
							chat.id,
							relativeTime(chat.updated_at),
							oneLine(chat.title, Math.max(20, out.columns - 40)),
						]),
					),
				);
			}),
		);

	chats
		.command("show")
		.description("a chat's recent history")
		.argument("<id>", "chat id")
		.option("-l, --limit <n>", "how many entries (1-100, default 50)", integer)
		.action(
			act(async (ctx, id: string, options: { limit?: number }) => {
				const { data } = await ctx.api().chatMessages(checkId(id, "chat id"), options.limit ?? 50);
				const { out } = ctx;
				if (out.json) return out.printJson(data);
				const timeline = new Timeline();
				timeline.applyHistory(data.chat_id, data.messages);
				if (data.next_before) out.line(out.c.dim("… (earlier messages not shown)"));
				const you = `${out.c.bold(out.c.blue("you"))} › `;
				new StreamPrinter({ out, style: "chat", userLabel: () => you }).render(timeline.items(`chat:${data.chat_id}`));
			}),
		);

	chats
		.command("delete")
		.alias("rm")
		.description("delete a chat and its history (asks first; -f on scripts)")
		.argument("<id>", "chat id")
		.option("-f, --force", "don't ask")
		.action(
			act(async (ctx, id: string, options: { force?: boolean }) => {
				checkId(id, "chat id");
				if (!(await confirmed(ctx, options.force, `Delete chat ${id} and its history?`))) return 1;
				await ctx.api().deleteChat(id);
				if (ctx.out.json) ctx.out.printJson({ deleted: true, chat_id: id });
				else ctx.out.line(`Deleted chat ${id}.`);
			}),
		);
}
