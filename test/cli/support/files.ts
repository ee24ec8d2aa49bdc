// What the `sparky files` and `--attach` test files share: the API's file shape, a scratch
// folder, a sparse file, and a CLI run that must succeed.
import { createHash } from "node:crypto";
import { mkdirSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { configHome, json, sparky } from "./cli.ts";

export interface FileJson {
	id: string;
	name: string;
	type: string;
	size: number;
	sha256: string;
	created_at: number;
	attached: boolean;
}
export interface PageJson {
	files: FileJson[];
	next_cursor: string | null;
}

export const sha256 = (bytes: Buffer | string) => createHash("sha256").update(bytes).digest("hex");

/** A fresh folder for a test's files. */
export function folder(): string {
	const dir = join(configHome(), "files");
	mkdirSync(dir);
	return dir;
}

/** A file of `size` bytes that takes no room on disk (a hole): for the over-size tests. */
export function sparseFile(path: string, size: number): string {
	writeFileSync(path, "");
	truncateSync(path, size);
	return path;
}

export async function ok(env: NodeJS.ProcessEnv, args: string[]) {
	const result = await sparky(args, { env });
	expect(result.code, `sparky ${args.join(" ")}\n${result.stdout}\n${result.stderr}`).toBe(0);
	return result;
}

export const listed = async (env: NodeJS.ProcessEnv) =>
	json<PageJson>(await ok(env, ["files", "list", "--json"])).files;
