// `sparky memory …` against a real wrangler dev: add, list, search, show, edit, pin, rm,
// export → import through files, errors, and one user's memories hidden from another.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { adminEnv, configHome, json, newUser, sparky } from "./support/cli.ts";

interface MemoryJson {
	id: string;
	text: string;
	tags: string[];
	pinned: boolean;
	source: { kind: string; task_id: string | null; chat_id: string | null };
	created_at: number;
	updated_at: number;
	recalled_at: number | null;
}
interface PageJson {
	memories: MemoryJson[];
	next_cursor: string | null;
}

/** `sparky memory …args` as `env`'s user; fails the test with the output unless it exits 0. */
async function memory(env: NodeJS.ProcessEnv, args: string[], input?: string) {
	const result = await sparky(["memory", ...args], { env, input });
	expect(result.code, `sparky memory ${args.join(" ")}\n${result.stdout}\n${result.stderr}`).toBe(0);
	return result;
}

const added = async (env: NodeJS.ProcessEnv, args: string[], input?: string) =>
	json<{ memory: MemoryJson }>(await memory(env, ["add", ...args, "--json"], input)).memory;

describe("sparky memory", () => {
	it("add, list, search, show, edit, pin, rm; --json prints the API's answers", async () => {
		const { env } = await newUser("mem");
		const said = await memory(env, ["add", "My", "favourite", "colour", "is", "teal", "-t", "personal,colour"]);
		expect(said.stdout).toMatch(/^Remembered mem_\S+: My favourite colour is teal$/m);
		const rule = await added(env, ["Answer in British English", "--pin"]);
		expect(rule).toMatchObject({ text: "Answer in British English", pinned: true, tags: [], source: { kind: "you" } });
		const tea = await added(env, ["-", "--tag", "drinks"], "Prefers tea over coffee\n");
		expect(tea).toMatchObject({ text: "Prefers tea over coffee", tags: ["drinks"], pinned: false });

		const all = json<PageJson>(await memory(env, ["list", "--json"]));
		expect(all.next_cursor).toBeNull();
		expect(all.memories.map((m) => m.text)).toEqual([
			"Prefers tea over coffee",
			"Answer in British English",
			"My favourite colour is teal",
		]);
		const teal = all.memories[2] as MemoryJson;
		expect([...teal.tags].sort()).toEqual(["colour", "personal"]);

		const table = await memory(env, ["list"]);
		expect(table.stdout).toMatch(/^ID\s+PIN\s+TAGS\s+FROM\s+SAVED\s+TEXT$/m);
		expect(table.stdout).toMatch(
			new RegExp(`^${rule.id}\\s+★\\s+you\\s+(now|\\d+s ago)\\s+Answer in British English$`, "m"),
		);
		expect(table.stdout).toMatch(new RegExp(`^${tea.id}\\s+drinks\\s+you\\s+.*Prefers tea over coffee$`, "m"));

		const pinned = json<PageJson>(await memory(env, ["list", "--pinned", "--json"]));
		expect(pinned.memories.map((m) => m.id)).toEqual([rule.id]);
		const tagged = json<PageJson>(await memory(env, ["ls", "--tag", "Personal", "--json"]));
		expect(tagged.memories.map((m) => m.id)).toEqual([teal.id]);

		// Pages: the human list says how to get the next one; --all follows them all.
		const first = await memory(env, ["list", "--limit", "2"]);
		const more = /more: sparky memory list --limit 2 --cursor (\S+)/.exec(first.stdout);
		expect(more, first.stdout).not.toBeNull();
		const second = json<PageJson>(await memory(env, ["list", "--limit", "2", "--cursor", more?.[1] ?? "", "--json"]));
		expect(second).toEqual({ memories: [all.memories[2]], next_cursor: null });
		const everything = json<PageJson>(await memory(env, ["list", "--all", "--limit", "1", "--json"]));
		expect(everything).toEqual({ memories: all.memories, next_cursor: null });

		const found = json<PageJson>(await memory(env, ["search", "favourite", "colour", "--json"]));
		expect(found.memories[0]?.id).toBe(teal.id);
		// A query is words, never FTS5 syntax: unbalanced quotes and operators neither fail nor widen it.
		const syntax = json<PageJson>(await memory(env, ["search", '"teal OR -coffee* NEAR(', "--json"]));
		expect(syntax.memories.map((m) => m.id)).toContain(teal.id);
		expect((await memory(env, ["search", "zebra"])).stdout).toMatch(/^No memories match "zebra"\.$/m);

		const edited = json<{ memory: MemoryJson }>(
			await memory(env, ["edit", teal.id, "--text", "My favourite colour is green", "-t", "colour", "--json"]),
		).memory;
		expect(edited).toMatchObject({ id: teal.id, text: "My favourite colour is green", tags: ["colour"] });
		expect(edited.updated_at).toBeGreaterThanOrEqual(teal.updated_at);
		const untagged = await memory(env, ["edit", teal.id, "--no-tags"]);
		expect(untagged.stdout).toMatch(new RegExp(`^Updated ${teal.id}\\.$`, "m"));
		expect(untagged.stdout).toMatch(/^tags\s+none$/m);
		expect(untagged.stdout).toMatch(/^text\s+My favourite colour is green$/m);

		expect((await memory(env, ["pin", teal.id])).stdout).toMatch(/^Pinned mem_\S+: it is in the agent's context/m);
		const shown = await memory(env, ["show", teal.id]);
		expect(shown.stdout).toMatch(/^pinned\s+yes/m);
		expect(shown.stdout).toMatch(/^from\s+you$/m);
		const off = json<{ memory: MemoryJson }>(await memory(env, ["pin", teal.id, "--off", "--json"]));
		expect(off.memory.pinned).toBe(false);
		await memory(env, ["pin", rule.id]);
		expect((await memory(env, ["unpin", rule.id])).stdout).toMatch(/^Unpinned mem_\S+: recalled when relevant/m);
		expect(json<{ memory: MemoryJson }>(await memory(env, ["show", rule.id, "--json"])).memory.pinned).toBe(false);

		expect((await memory(env, ["rm", teal.id])).stdout).toBe(`Forgot ${teal.id}.\n`);
		expect(json(await memory(env, ["forget", tea.id, "--json"]))).toEqual({ deleted: true, id: tea.id });
		const gone = await sparky(["memory", "show", teal.id], { env });
		expect(gone.code).toBe(4);
		expect(gone.stderr).toMatch(/not found/);
		const goneJson = await sparky(["memory", "rm", tea.id, "--json"], { env });
		expect(goneJson.code).toBe(4);
		expect(json<{ error: { code: string; exit_code: number } }>(goneJson).error).toMatchObject({
			code: "not_found",
			exit_code: 4,
		});
		expect(json<PageJson>(await memory(env, ["list", "--json"])).memories.map((m) => m.id)).toEqual([rule.id]);
	});

	it("clips a long text to the terminal in the table; show prints it whole", async () => {
		const { env } = await newUser("memwide");
		const long = `Start ${"of a very long memory ".repeat(30)}end`;
		const m = await added(env, [long]);
		const row = (await memory(env, ["list"])).stdout.split("\n").find((l) => l.startsWith(m.id)) ?? "";
		// Piped stdout has no width: the CLI assumes 100 columns.
		expect(row.length).toBeLessThanOrEqual(100);
		expect(row).toMatch(/Start of a very long memory .*…$/);
		expect((await memory(env, ["show", m.id])).stdout).toContain(long);
	});

	it("export → import round trip through files, into another user's memories", async () => {
		const from = await newUser("memexp");
		const to = await newUser("memimp");
		const originals = [
			await added(from.env, ["Lives in Lisbon", "-t", "home"]),
			await added(from.env, ["Allergic to peanuts", "-t", "health,food", "--pin"]),
			await added(from.env, ["Emoji are fine 🎉 and so is 日本語"]),
		];
		const dir = configHome();
		const file = join(dir, "memories.jsonl");
		const exported = await memory(from.env, ["export", "--out", file]);
		expect(exported.stdout).toBe(`Exported 3 memories to ${file}.\n`);
		const lines = readFileSync(file, "utf8").trimEnd().split("\n");
		expect(lines.map((l) => (JSON.parse(l) as MemoryJson).id).sort()).toEqual(originals.map((m) => m.id).sort());
		// To stdout: the same lines (and --out with --json says what it wrote).
		expect((await memory(from.env, ["export"])).stdout).toBe(readFileSync(file, "utf8"));
		expect(json(await memory(from.env, ["export", "--out", join(dir, "again.jsonl"), "--json"]))).toEqual({
			exported: 3,
			file: join(dir, "again.jsonl"),
		});

		const imported = await memory(to.env, ["import", file]);
		expect(imported.stdout).toBe("Imported 3 memories.\n");
		const theirs = json<PageJson>(await memory(to.env, ["list", "--json"])).memories;
		const shape = (m: MemoryJson) => ({ text: m.text, tags: [...m.tags].sort(), pinned: m.pinned });
		const byText = (a: { text: string }, b: { text: string }) => a.text.localeCompare(b.text);
		expect(theirs.map(shape).sort(byText)).toEqual(originals.map(shape).sort(byText));
		for (const m of theirs) {
			expect(originals.map((o) => o.id)).not.toContain(m.id);
			expect(m.source.kind).toBe("import");
		}
		// The original user's memories are untouched.
		expect(json<PageJson>(await memory(from.env, ["list", "--json"])).memories).toHaveLength(3);
	});

	it("import from stdin names the lines it skipped (exit 1) and imports the rest", async () => {
		const { env } = await newUser("memlines");
		const input = ['{"text":"Good line","tags":["ok"]}', '{"text":""}', "not json", '{"text":"Also good"}', ""].join(
			"\n",
		);
		const human = await sparky(["memory", "import", "-"], { env, input });
		expect(human.code, human.stderr).toBe(1);
		expect(human.stdout).toMatch(/^Imported 2 memories\.$/m);
		expect(human.stdout).toMatch(/^Skipped 2 lines:$/m);
		expect(human.stdout).toMatch(/^ {2}line 2: .+$/m);
		expect(human.stdout).toMatch(/^ {2}line 3: .+$/m);
		// The same lines again: the good ones are already kept, so nothing is imported twice.
		const machine = await sparky(["memory", "import", "-", "--json"], { env, input });
		expect(machine.code).toBe(1);
		const answer = json<{ imported: number; skipped: { line: number; error: string }[] }>(machine);
		expect(answer.imported).toBe(0);
		expect(answer.skipped.map((s) => s.line).sort()).toEqual([1, 2, 3, 4]);
		expect(answer.skipped.find((s) => s.line === 1)?.error).toMatch(/already in your memories/);
		const texts = json<PageJson>(await memory(env, ["list", "--json"])).memories.map((m) => m.text);
		expect(texts.sort()).toEqual(["Also good", "Good line"]);
	});

	it("another user, even an admin, can't see, find, change or forget them", async () => {
		const owner = await newUser("memown");
		const other = await newUser("memother");
		const secret = await added(owner.env, ["The safe's code is 4711", "-t", "secret"]);
		const admin = adminEnv();
		const [list, search, show, edit, pin, rm, adminShow, adminSearch] = await Promise.all([
			sparky(["memory", "list", "--json"], { env: other.env }),
			sparky(["memory", "search", "safe code", "--json"], { env: other.env }),
			sparky(["memory", "show", secret.id], { env: other.env }),
			sparky(["memory", "edit", secret.id, "--text", "changed"], { env: other.env }),
			sparky(["memory", "pin", secret.id], { env: other.env }),
			sparky(["memory", "rm", secret.id], { env: other.env }),
			sparky(["memory", "show", secret.id], { env: admin }),
			sparky(["memory", "search", "4711", "--json"], { env: admin }),
		]);
		expect(json<PageJson>(list).memories).toEqual([]);
		expect(json<PageJson>(search).memories).toEqual([]);
		expect(json<PageJson>(adminSearch).memories.map((m) => m.id)).not.toContain(secret.id);
		for (const refused of [show, edit, pin, rm, adminShow]) {
			expect(refused.code, refused.stderr).toBe(4);
			expect(refused.stderr).toMatch(/not found/);
		}
		const still = json<{ memory: MemoryJson }>(await memory(owner.env, ["show", secret.id, "--json"])).memory;
		expect(still).toEqual(secret);
	});

	it("refuses bad arguments before sending anything (exit 2)", async () => {
		const cases: [string[], RegExp][] = [
			[["memory", "add", "   "], /invalid memory: text: must not be empty/],
			[["memory", "add", "x".repeat(2001)], /at most 2000 characters/],
			[["memory", "add", "hello", "--tag", "no spaces!"], /--tag/],
			[["memory", "edit", "mem_x"], /nothing to change/],
			[["memory", "edit", "mem_x", "--tag", "a", "--no-tags"], /--tag or --no-tags, not both/],
			[["memory", "show", "not an id"], /invalid memory id/],
			[["memory", "list", "--limit", "0"], /--limit/],
			[["memory", "import", "/nonexistent/memories.jsonl"], /cannot read .*: no such file/],
		];
		// A server that is not there: anything sent would fail with exit 5, not 2.
		const env = adminEnv({ SPARKY_URL: "http://127.0.0.1:9" });
		const runs = await Promise.all(cases.map(([args]) => sparky(args, { env })));
		cases.forEach(([args, message], i) => {
			expect(runs[i]?.code, args.join(" ")).toBe(2);
			expect(runs[i]?.stderr, args.join(" ")).toMatch(message);
		});
	});
});
