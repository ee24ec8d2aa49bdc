// What a connected app keeps of the credential that approved it (src/oauth/grant-props.ts).
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ADMIN_SECRET_TOKEN_ID } from "../../src/auth/types.ts";
import { approverLive, approverOf, grantPropsOf, lesserRole } from "../../src/oauth/grant-props.ts";
import { newUser } from "../support/api.ts";

describe("grant props", () => {
	it("a grant made before they named the approver reads as a plain user's, with no token; anything else that isn't a grant's, as none", async () => {
		const legacy = approverOf({ userId: "alice" });
		expect(legacy).toEqual({ userId: "alice", role: "user", tokenId: null, tokenExpiresAt: null });
		expect(legacy && (await approverLive(env.DB, legacy, Date.now()))).toBe(true);
		expect(approverOf({ nobody: true })).toBeNull();
		expect(approverOf(undefined)).toBeNull();
		const props = grantPropsOf({ userId: "alice", role: "user", tokenId: "tok_1", tokenExpiresAt: null });
		expect(approverOf(props)).toEqual(props);
	});

	it("the lesser role: admin only when both are", () => {
		expect(lesserRole("admin", "admin")).toBe("admin");
		expect(lesserRole("admin", "user")).toBe("user");
		expect(lesserRole("user", "admin")).toBe("user");
	});

	it("the approver is live while its token is: not past its expiry, not revoked; the admin secret always", async () => {
		const now = Date.now();
		const user = await newUser();
		const props = { userId: user.id, role: "user" as const, tokenId: user.tokenId, tokenExpiresAt: null };
		expect(await approverLive(env.DB, props, now)).toBe(true);
		expect(await approverLive(env.DB, { ...props, tokenExpiresAt: now - 1 }, now)).toBe(false);
		expect(await approverLive(env.DB, { ...props, tokenId: "tok_gone" }, now)).toBe(false);
		expect(await approverLive(env.DB, { ...props, tokenId: ADMIN_SECRET_TOKEN_ID }, now)).toBe(true);
	});
});
