/** `sparky chat` (interactive) and `sparky chats list|show|delete`. */
import { Argument, type Command, Option } from "commander";
import { Timeline } from "../../src/client/index.ts";
import {
	type Chat,
	ChatTextSchema,
	FileLimits,
	MaxCostSchema,
	type SendPolicy,
	SendPolicySchema,
} from "../../src/protocol/index.ts";
import { act } from "../action.ts";
import { ChatSession } from "../chat-session.ts";
import type { Context } from "../context.ts";
import { CliError, ExitCode, usageError } from "../errors.ts";
import { oneLine, relativeTime, table } from "../output.ts";
import { confirm, confirmed, interactive } from "../prompt.ts";
import { StreamPrinter } from "../render.ts";
import { uploadAttachments } from "../upload.ts";
import { check, checkId, collect, dollars, integer } from "../validate.ts";

export function addChatCommands(program: Command): void {
	program
		.command("chat")
		.description("chat with the agent in the terminal (streams answers, shows tool calls)")
		.argument("[message...]", "send this one message (in a new chat unless --chat/--latest), print the answer, exit")
		.option("--chat <id>", "continue this chat")
		.option("--latest", "continue your most recent chat without asking")
		.option("--new", "start a new chat without asking")
		.option(
			"-a, --attach <path>",
			`a file for the agent to read with the (first) message, repeatable (at most ${FileLimits.attachmentsPerMessage})`,
			collect,
			[],
		)
		.option(
			"--max-cost <usd>",
			"each message's budget in US dollars: past it the answer pauses for your decision",
			dollars,
		)
		.addOption(
			new Option(
				"--policy <policy>",
				"what a message sent while an answer runs does: queue (wait), interrupt (stop it, answer this), steer (add it to the running answer), reject (refuse); default: the chat's",
			).choices(SendPolicySchema.options),
		)
		.option("--steer", "same as --policy steer: the running answer reads the message at its next step")
		.option("--interrupt", "same as --policy interrupt: stop the running answer, then answer this")
		.addHelpText(
			"after",
			'\nCtrl+C stops a running answer; Ctrl+C again (or with nothing running), Ctrl+D or /exit quits.\n/attach PATH adds a file to the next message; /steer TEXT adds TEXT to the running answer.\n\nExamples:\n  sparky chat "Summarise the attached file" --attach report.pdf\n  sparky chat --latest\n  sparky chat --latest --steer "Only the PDFs, please"',
		)
		.action(act(async (ctx, words: string[], options: ChatOptions) => runChat(ctx, words, options)));

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
		.command("policy")
		.description("show or set what a message sent while an answer runs does in a chat (its default)")
		.argument("<id>", "chat id")
		.addArgument(
			new Argument("[policy]", "queue, interrupt, steer or reject (omitted: show it)").choices(
				SendPolicySchema.options,
			),
		)
		.addHelpText(
			"after",
			"\nqueue: waits its turn (a new chat's default). interrupt: stops the running answer (what it did is kept), then runs.\nsteer: joins the running answer, read at its next step. reject: refused (exit 6) while an answer runs.\n\nExamples:\n  sparky chats policy chat_Ab12… steer\n  sparky chats policy chat_Ab12…",
		)
		.action(
			act(async (ctx, id: string, policy: SendPolicy | undefined) => {
				checkId(id, "chat id");
				const api = ctx.api();
				const chat = policy ? (await api.setChatPolicy(id, policy)).data.chat : (await api.getChat(id)).data.chat;
				const { out } = ctx;
				if (out.json) return out.printJson({ chat });
				const shown = chat.policy ?? "queue";
				out.line(
					policy
						? `Chat ${chat.id}: a message sent while an answer runs now ${POLICY_WORDS[shown]} (${shown}).`
						: `Chat ${chat.id}: a message sent while an answer runs ${POLICY_WORDS[shown]} (${shown}).`,
				);
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

interface ChatOptions {
	chat?: string;
	latest?: boolean;
	new?: boolean;
	attach: string[];
	maxCost?: number;
	policy?: SendPolicy;
	steer?: boolean;
	interrupt?: boolean;
}

const POLICY_WORDS: Record<SendPolicy, string> = {
	queue: "waits its turn",
	interrupt: "stops the running answer and is answered next",
	steer: "joins the running answer",
	reject: "is refused",
};

/** `--policy`, `--steer`, `--interrupt`: one of them at most. */
function policyOf(options: ChatOptions): SendPolicy | undefined {
	const given = [
		options.policy,
		options.steer ? "steer" : undefined,
		options.interrupt ? "interrupt" : undefined,
	].filter((p): p is SendPolicy => p !== undefined);
	if (new Set(given).size > 1) throw usageError("give one of --policy, --steer and --interrupt");
	return given[0];
}

/**
 * `sparky chat`: picks the chat, uploads `--attach` files, then runs the session
 * (cli/chat-session.ts): interactive, or the one message of the command line.
 */
async function runChat(ctx: Context, words: string[], options: ChatOptions): Promise<number> {
	const { out } = ctx;
	if (out.json) throw new CliError("`sparky chat` is interactive and has no --json output", ExitCode.usage, "usage");
	const message = words.length ? check(ChatTextSchema, words.join(" "), "message") : undefined;
	const maxCost = options.maxCost === undefined ? undefined : check(MaxCostSchema, options.maxCost, "--max-cost");
	const policy = policyOf(options);
	const api = ctx.api();
	// Checks the server and the token first: the socket would only say "closed".
	await api.me();
	const existing = await pickChat(ctx, options, message === undefined);
	const session = new ChatSession(ctx, { maxCost, policy });
	try {
		session.attach(await uploadAttachments(ctx, options.attach));
		await session.connect();
		const chat = existing ?? (await session.createChat());
		return await session.run(chat, existing !== undefined, message);
	} finally {
		await session.close();
	}
}

/**
 * `--chat ID`, `--latest`, or (asked on a terminal, unless `ask` is off) the most recent chat;
 * undefined: a new one.
 */
async function pickChat(ctx: Context, options: ChatOptions, ask: boolean): Promise<Chat | undefined> {
	const api = ctx.api();
	if (options.chat) return (await api.getChat(checkId(options.chat, "--chat"))).data.chat;
	if (options.new) return undefined;
	if (!options.latest && !ask) return undefined;
	const latest = (await api.listChats()).data.chats[0];
	if (!latest) return undefined;
	if (options.latest) return latest;
	if (!interactive()) return undefined;
	const yes = await confirm(`Continue your latest chat "${latest.title}" (${relativeTime(latest.updated_at)})?`);
	return yes ? latest : undefined;
}
