/** `sparky memory export` and `import`: a user's memories as JSON Lines, to and from files. */
import { readFile, writeFile } from "node:fs/promises";
import { text as readAll } from "node:stream/consumers";
import type { z } from "zod";
import { MemoryImportResultSchema, MemoryLimits, MemorySchema } from "../../src/protocol/index.ts";
import type { Context } from "../context.ts";
import { CliError, ExitCode, usageError } from "../errors.ts";

/** Export and import carry up to thousands of memories: more time than a plain call's 30 s. */
const BULK_TIMEOUT_MS = 120_000;

export async function exportMemories(ctx: Context, file: string | undefined): Promise<void> {
	const response = await bulkRequest(ctx, "GET", "/api/memories/export", "exporting");
	const text = await response.text();
	const lines = text.split("\n").filter((l) => l.trim() !== "");
	// Every line is checked before anything is written: a broken answer never becomes a file.
	for (const [i, line] of lines.entries()) {
		checkAnswer(MemorySchema, parseJson(line), `line ${i + 1} of GET /api/memories/export`);
	}
	const body = lines.map((l) => `${l}\n`).join("");
	const { out } = ctx;
	if (file === undefined) {
		process.stdout.write(body);
		return out.note(out.ce.dim(`${count(lines.length)} exported.`));
	}
	await writeFile(file, body, { mode: 0o600 }).catch((error: unknown) => {
		throw new CliError(`cannot write ${file}: ${errorText(error)}`, ExitCode.error, "file_error");
	});
	if (out.json) return out.printJson({ exported: lines.length, file });
	out.line(`Exported ${count(lines.length)} to ${file}.`);
}

export async function importMemories(ctx: Context, file: string): Promise<number | undefined> {
	const text =
		file === "-"
			? await readAll(process.stdin)
			: await readFile(file, "utf8").catch((error: unknown) => {
					throw usageError(`cannot read ${file}: ${errorText(error)}`);
				});
	// The server's own limits, checked first: an import is then all sent or not at all.
	const name = file === "-" ? "stdin" : file;
	const lines = text.split("\n").filter((l) => l.trim() !== "").length;
	if (lines === 0) throw usageError(`${name} has no lines to import`);
	if (lines > MemoryLimits.importLines) {
		throw usageError(`${name} has ${lines} lines; one import takes at most ${MemoryLimits.importLines}: split it`);
	}
	const bytes = Buffer.byteLength(text);
	if (bytes > MemoryLimits.importBytes) {
		throw usageError(`${name} has ${bytes} bytes; one import takes at most ${MemoryLimits.importBytes}: split it`);
	}
	const response = await bulkRequest(ctx, "POST", "/api/memories/import", "importing", text);
	const data = checkAnswer(MemoryImportResultSchema, parseJson(await response.text()), "POST /api/memories/import");
	const { out } = ctx;
	const failed = data.skipped.length > 0 ? ExitCode.error : undefined;
	if (out.json) {
		out.printJson(data);
		return failed;
	}
	out.line(`Imported ${count(data.imported)}.`);
	if (data.skipped.length) {
		out.line(out.c.yellow(`Skipped ${data.skipped.length} line${data.skipped.length === 1 ? "" : "s"}:`));
		for (const s of data.skipped) out.line(`  line ${s.line}: ${s.error}`);
	}
	return failed;
}

/**
 * A call whose body or answer is JSON Lines, which `Api.send` (JSON both ways) doesn't carry:
 * the same token, the same errors (unreachable, the API's `{error}`), a longer timeout.
 */
async function bulkRequest(
	ctx: Context,
	method: "GET" | "POST",
	path: string,
	label: string,
	ndjson?: string,
): Promise<Response> {
	const api = ctx.api();
	const headers: Record<string, string> = { Accept: "application/x-ndjson, application/json" };
	if (api.token) headers.Authorization = `Bearer ${api.token}`;
	if (ndjson !== undefined) headers["Content-Type"] = "application/x-ndjson";
	const spin = ctx.out.spinner(`${label}…`);
	let response: Response;
	try {
		response = await fetch(api.url + path, {
			method,
			headers,
			body: ndjson,
			signal: AbortSignal.timeout(BULK_TIMEOUT_MS),
		});
	} catch (error) {
		throw api.unreachable(error);
	} finally {
		spin.stop();
	}
	if (response.ok) return response;
	const text = await response.text();
	throw api.apiError(response, parseJson(text), text);
}

function checkAnswer<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
	const checked = schema.safeParse(value);
	if (checked.success) return checked.data;
	throw new CliError(
		`unexpected answer in ${what} (is the server a different Sparky version?)`,
		ExitCode.error,
		"unexpected_response",
		checked.error.issues.slice(0, 5).map((i) => `${i.path.join(".")}: ${i.message}`),
	);
}

const count = (n: number) => `${n} memor${n === 1 ? "y" : "ies"}`;

function parseJson(text: string): unknown {
	try {
		return JSON.parse(text);
	} catch {
		return undefined;
	}
}

const errorText = (error: unknown) =>
	(error as { code?: string }).code === "ENOENT"
		? "no such file"
		: error instanceof Error
			? error.message
			: String(error);
