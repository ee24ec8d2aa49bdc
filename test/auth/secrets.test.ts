import { describe, expect, it } from "vitest";
import { newSecret, secretsEqual, sha256Hex } from "../../src/auth/secrets.ts";

describe("auth: secrets", () => {
	it("makes prefixed, URL-safe, distinct secrets of the asked-for entropy", () => {
		const a = newSecret("spk");
		const b = newSecret("spk");
		expect(a).toMatch(/^spk_[A-Za-z0-9_-]{43}$/);
		expect(a).not.toBe(b);
		expect(newSecret("tkt", 24)).toMatch(/^tkt_[A-Za-z0-9_-]{32}$/);
	});

	it("hashes to lower-case SHA-256 hex", async () => {
		expect(await sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
		expect(await sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
		expect(await sha256Hex("é")).toBe(await sha256Hex("\u00e9"));
		expect(await sha256Hex("é")).not.toBe(await sha256Hex("e\u0301"));
	});

	it("compares secrets exactly, whatever their lengths", async () => {
		expect(await secretsEqual("spk_same", "spk_same")).toBe(true);
		expect(await secretsEqual("spk_same", "spk_samE")).toBe(false);
		expect(await secretsEqual("spk_same", "spk_same_longer")).toBe(false);
		expect(await secretsEqual("", "")).toBe(true);
	});
});
