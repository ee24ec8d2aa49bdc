/** `sparky files …`: your uploaded files: upload, list, download, delete (docs/files.md). */
import { existsSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import type { Command } from "commander";
import { FileIdSchema, FileLimits, ListFilesQuerySchema, type SparkyFile } from "../../src/protocol/index.ts";
import { act } from "../action.ts";
import type { Context } from "../context.ts";
import { downloadFile } from "../download.ts";
import { CliError, ExitCode, usageError } from "../errors.ts";
import { oneLine, relativeTime, table } from "../output.ts";
import { formatBytes } from "../progress.ts";
import { confirmed } from "../prompt.ts";
import { describeUpload, localFiles, uploadAll } from "../upload.ts";
import { check, integer } from "../validate.ts";

interface ListOptions {
	limit?: number;
	cursor?: string;
	all?: boolean;
}

export function addFilesCommands(program: Command): void {
	const files = program.command("files").alias("file").description("your uploaded files: attach them with --attach");

	files
		.command("upload")
		.description("upload files (streamed from disk) and print their ids; --attach uploads and attaches at once")
		.argument("<path...>", "files to upload")
		.action(
			act(async (ctx, paths: string[]) => {
				const uploaded = await uploadAll(ctx, await localFiles(paths, "upload"), (file) =>
					ctx.out.line(`Uploaded ${describeUpload(file)}.`),
				);
				if (!ctx.out.json) return;
				ctx.out.printJson(uploaded.length === 1 ? { file: uploaded[0] } : { files: uploaded });
			}),
		);

	files
		.command("list")
		.alias("ls")
		.description("your files, newest first")
		.option(
			"-l, --limit <n>",
			`how many per page (1-${FileLimits.pageMax}, default ${FileLimits.pageDefault})`,
			integer,
		)
		.option("--cursor <cursor>", "the next page (printed under a full page)")
		.option("-a, --all", "every page, not just the first")
		.action(act(async (ctx, options: ListOptions) => listFiles(ctx, options)));

	files
		.command("get")
		.alias("download")
		.description("download a file's content (to its name here; to stdout when piped, or with -o -)")
		.argument("<id>", "file id (file_…)")
		.option("-o, --output <path>", 'where to write it: a file, a folder, or "-" for stdout')
		.option("-f, --force", "overwrite a file that is there already")
		.addHelpText(
			"after",
			"\nExamples:\n  sparky files get file_Ab12…                 # saves ./report.pdf\n  sparky files get file_Ab12… -o notes/       # saves notes/report.pdf\n  sparky files get file_Ab12… | less         # to stdout",
		)
		.action(act(async (ctx, id: string, options: { output?: string; force?: boolean }) => getFile(ctx, id, options)));

	files
		.command("rm")
		.alias("delete")
		.description("delete a file (asks first; -f on scripts)")
		.argument("<id>", "file id (file_…)")
		.option("-f, --force", "don't ask")
		.action(
			act(async (ctx, id: string, options: { force?: boolean }) => {
				fileId(id);
				if (!(await confirmed(ctx, options.force, `Delete file ${id}?`))) return ExitCode.error;
				await ctx.api().deleteFile(id);
				if (ctx.out.json) ctx.out.printJson({ deleted: true, id });
				else ctx.out.line(`Deleted ${id}.`);
			}),
		);
}

async function listFiles(ctx: Context, options: ListOptions): Promise<void> {
	const query = check(
		ListFilesQuerySchema.partial(),
		// A whole list goes in the biggest pages the API gives.
		{ limit: options.limit ?? (options.all ? FileLimits.pageMax : undefined), cursor: options.cursor },
		"option",
		{ limit: "--limit", cursor: "--cursor" },
	);
	const api = ctx.api();
	const all: SparkyFile[] = [];
	const seen = new Set<string>();
	let page = await api.listFiles(query);
	while (options.all) {
		all.push(...page.data.files);
		const next = page.data.next_cursor;
		// A cursor seen before would loop for ever (a server bug): stop there.
		if (!next || seen.has(next)) break;
		seen.add(next);
		page = await api.listFiles({ ...query, cursor: next });
	}
	const data = options.all ? { files: all, next_cursor: null } : page.data;
	const { out } = ctx;
	if (out.json) return out.printJson(data);
	if (data.files.length === 0) return out.line(out.c.dim("No files: upload one with `sparky files upload PATH`."));
	const rows = data.files.map((f) => [
		f.id,
		formatBytes(f.size),
		oneLine(f.type, 30),
		relativeTime(f.created_at),
		f.attached ? "yes" : out.c.dim("no"),
	]);
	const used = 36 + 12 + 32 + 10 + 10;
	out.line(
		table(
			out,
			["ID", "SIZE", "TYPE", "UPLOADED", "ATTACHED", "NAME"],
			rows.map((r, i) => [...r, oneLine(data.files[i]?.name ?? "", Math.max(20, out.columns - used))]),
		),
	);
	if (data.next_cursor) {
		const limit = options.limit ? ` --limit ${options.limit}` : "";
		out.line(out.c.dim(`more: sparky files list${limit} --cursor ${data.next_cursor}`));
	} else if (options.all) out.line(out.c.dim(`${data.files.length} file${data.files.length === 1 ? "" : "s"}.`));
}

async function getFile(ctx: Context, id: string, options: { output?: string; force?: boolean }): Promise<void> {
	const { out } = ctx;
	const toStdout = options.output === "-" || (options.output === undefined && !out.tty);
	if (toStdout && out.json) {
		throw usageError("--json prints JSON on stdout, so the content needs a file: -o FILE");
	}
	const { data } = await ctx.api().getFile(fileId(id));
	const file = data.file;
	if (toStdout) return downloadFile(ctx, file, "stdout");
	const destination = whereTo(options.output, file);
	if (existsSync(destination) && !options.force) {
		throw new CliError(
			`${destination} is there already`,
			ExitCode.conflict,
			"file_exists",
			undefined,
			"pass -f to overwrite it, or -o to save it elsewhere",
		);
	}
	await downloadFile(ctx, file, destination);
	if (out.json) return out.printJson({ file, saved_to: destination });
	out.line(`Saved ${file.name} (${formatBytes(file.size)}) to ${destination}.`);
}

/** `-o FILE`, `-o FOLDER/` (the file's name in it), or the file's name here. */
function whereTo(output: string | undefined, file: SparkyFile): string {
	// The server cleans names; a name is still never allowed to be a path here.
	const name = basename(file.name);
	const safe = name && name !== "." && name !== ".." ? name : file.id;
	if (output === undefined) return safe;
	if (output.endsWith("/") || (existsSync(output) && statSync(output).isDirectory())) return join(output, safe);
	return output;
}

const fileId = (id: string) => check(FileIdSchema, id, "file id");
