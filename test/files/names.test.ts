// File names are cleaned, never refused: path separators, control and bidi characters, leading
// dots, over-long names; an empty result is named by the file's type.
import { describe, expect, it } from "vitest";
import { cleanName, defaultName } from "../../src/files/names.ts";
import { newUser } from "../support/api.ts";
import { type FileBody, fileForm, upload } from "./helpers.ts";

const bytes = (s: string) => new TextEncoder().encode(s).length;

describe("cleanName", () => {
	it.each([
		["../../etc/passwd", "etc_passwd"],
		["..\\..\\windows\\system32\\drivers", "windows_system32_drivers"],
		["/absolute/path/report.pdf", "absolute_path_report.pdf"],
		["C:\\Users\\me\\notes.txt", "C_Users_me_notes.txt"],
		["a\u0000b.txt", "ab.txt"],
		["tab\there\nnewline\r.txt", "tabherenewline.txt"],
		// RTL override: `invoice\u202Efdp.exe` shows as "invoiceexe.pdf".
		["invoice\u202Efdp.exe", "invoicefdp.exe"],
		["\u2066isolate\u2069\u200e\u200f\u202a\u202b\u202c\u202d.png", "isolate.png"],
		["zero\u200bwidth\ufeff.txt", "zerowidth.txt"],
		[".bashrc", "bashrc"],
		["...hidden", "hidden"],
		["trailing dots...", "trailing dots"],
		["  spaced   out  .md", "spaced out .md"],
		['what?*<>|"', "what"],
		["café.txt", "café.txt"],
		["cafe\u0301.txt", "café.txt"],
		["__init__.py", "__init__.py"],
		["plain.txt", "plain.txt"],
	])("%j → %j", (raw, clean) => {
		expect(cleanName(raw)).toBe(clean);
	});

	it("drops trailing dots and spaces in linear time: a name of 200,000 dots before a letter is no stall", () => {
		expect(cleanName(`a${".".repeat(200_000)}b`)).toMatch(/^a\.+b$/);
		expect(cleanName(`report${". ".repeat(100_000)}`)).toBe("report");
	});

	it("empties what is only dots, separators and invisible characters", () => {
		for (const raw of ["", "..", "../..", "/", "\u202e", "\u0000\u0001", ". . ."]) expect(cleanName(raw)).toBe("");
		expect(cleanName(undefined)).toBe("");
	});

	it("cuts a name to 255 UTF-8 bytes in its stem, keeping the extension and whole characters", () => {
		const long = `${"é".repeat(200)}.pdf`; // 404 bytes
		const cut = cleanName(long);
		expect(bytes(cut)).toBeLessThanOrEqual(255);
		expect(cut.endsWith(".pdf")).toBe(true);
		expect(cut).toMatch(/^é+\.pdf$/);
		const emoji = cleanName("😀".repeat(100)); // 4 bytes each, no extension
		expect(bytes(emoji)).toBeLessThanOrEqual(255);
		expect(emoji).toBe("😀".repeat(63));
	});

	it("names a nameless file by its type", () => {
		expect(defaultName("image/png")).toBe("file.png");
		expect(defaultName("text/plain")).toBe("file.txt");
		expect(defaultName("application/x-unknown")).toBe("file.bin");
	});
});

describe("names through the API", () => {
	it("cleans ../, NUL and an RTL override in ?name= and in a form's file name", async () => {
		const user = await newUser();
		const named = async (res: Response) => (await res.json<FileBody>()).file.name;
		expect(await named(await upload(user.token, "x", { name: "../../etc/passwd" }))).toBe("etc_passwd");
		expect(await named(await upload(user.token, "x", { name: "report\u0000.txt" }))).toBe("report.txt");
		const rtl = fileForm("photo\u202Egnp.exe", "x");
		expect(await named(await upload(user.token, rtl.body, { contentType: rtl.type }))).toBe("photognp.exe");
		const star = fileForm("ignored", "x");
		const starBody = new TextDecoder()
			.decode(star.body)
			.replace('filename="ignored"', `filename="fallback.txt"; filename*=UTF-8''%2E%2E%2Fcaf%C3%A9%E2%80%AE.txt`);
		const res = await upload(user.token, starBody, { contentType: star.type });
		expect(await named(res)).toBe("café.txt");
	});

	it("a name that cleans to nothing, or none at all, is named by the sniffed type", async () => {
		const user = await newUser();
		const res = await upload(user.token, "just text", { name: "../.." });
		expect((await res.json<FileBody>()).file.name).toBe("file.txt");
		const unnamed = await upload(user.token, '{"a": 1}');
		expect((await unnamed.json<FileBody>()).file).toMatchObject({ name: "file.json", type: "application/json" });
	});
});
