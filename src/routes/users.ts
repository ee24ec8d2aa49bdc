import { Hono } from "hono";
import { z } from "zod";
import { newSecret, sha256Hex } from "../auth/secrets.ts";
import { capsConfig } from "../config.ts";
import { depsFor, hubRates, spendRate } from "../deps.ts";
import { conflict, invalid, notFound, unavailable } from "../errors.ts";
import { type AppEnv, requireAdmin, requireAuth } from "../http/auth.ts";
import { jsonBody, paramsOf } from "../http/validate.ts";
import { CreateTokenBodySchema, CreateUserBodySchema, EventType, newId, UserIdSchema } from "../protocol/index.ts";
import { countLiveTokens, insertToken, listTokens, type TokenRecord } from "../storage/tokens.ts";
import { createUser, getUser, listUsers, userExists } from "../storage/users.ts";

const UserParams = z.object({ id: UserIdSchema });
/** Notices are small: the value must serialise to at most 64 KiB. */
const NOTICE_VALUE_BYTES = 64 * 1024;
const PublishNoticeBody = z.strictObject({
	name: z.string().trim().min(1).max(100),
	value: z
		.json()
		.refine((v) => new TextEncoder().encode(JSON.stringify(v ?? null)).length <= NOTICE_VALUE_BYTES, {
			message: `value must be at most ${NOTICE_VALUE_BYTES} bytes of JSON`,
		})
		.optional(),
});

/** Admin, under /api/users: users, their tokens, and a notice to a user's hub. */
export const usersRoutes = new Hono<AppEnv>()
	.use(requireAuth, requireAdmin)
	.post("/", jsonBody(CreateUserBodySchema), async (c) => {
		const body = c.req.valid("json");
		const user = await createUser(c.env.DB, { id: body.id, role: body.role, created_at: Date.now() });
		if (!user) throw conflict(`user ${body.id} already exists`);
		return c.json({ user }, 201);
	})
	.get("/", async (c) => c.json({ users: await listUsers(c.env.DB) }))
	.post("/:id/tokens", paramsOf(UserParams), jsonBody(CreateTokenBodySchema), async (c) => {
		const { id } = c.req.valid("param");
		const body = c.req.valid("json");
		const user = await getUser(c.env.DB, id);
		if (!user) throw notFound(`user ${id}`);
		// Counted on the user the token is for (an admin provisioning many users isn't slowed).
		await spendRate({ rates: hubRates(c.env) }, id, "tokens");
		const cap = capsConfig(c.env).tokens;
		if ((await countLiveTokens(c.env.DB, id, Date.now())) >= cap) {
			throw conflict(`user ${id} has ${cap} live tokens, the most one user may have; revoke one first`, {
				limit: cap,
				cap: "SPARKY_MAX_TOKENS",
			});
		}
		const role = body.role ?? user.role;
		if (role === "admin" && user.role !== "admin") {
			throw invalid(`user ${id} is not an admin; its tokens can't be either`);
		}
		const now = Date.now();
		const secret = newSecret("spk");
		const token: TokenRecord = {
			id: newId("tok", 12),
			user_id: id,
			name: body.name ?? null,
			role,
			created_at: now,
			expires_at: body.expires_in === undefined ? null : now + body.expires_in,
			revoked_at: null,
			last_used_at: null,
		};
		await insertToken(c.env.DB, token, await sha256Hex(secret));
		// The only time the secret is ever returned.
		return c.json({ ...token, token: secret }, 201);
	})
	.get("/:id/tokens", paramsOf(UserParams), async (c) => {
		const { id } = c.req.valid("param");
		if (!(await getUser(c.env.DB, id))) throw notFound(`user ${id}`);
		return c.json({ tokens: await listTokens(c.env.DB, id) });
	})
	.post("/:id/events", paramsOf(UserParams), jsonBody(PublishNoticeBody), async (c) => {
		const { id } = c.req.valid("param");
		const { name, value } = c.req.valid("json");
		if (!(await userExists(c.env.DB, id))) throw notFound(`user ${id}`);
		const event = { type: EventType.CUSTOM, id: newId("evt"), ts: Date.now(), name, value: value ?? null };
		const seqs = await depsFor(c.env).relay.send([id], [event]);
		const seq = seqs.get(id);
		if (seq === undefined) throw unavailable("the user's hub did not take the notice; try again");
		return c.json({ seq, user_id: id }, 201);
	});
