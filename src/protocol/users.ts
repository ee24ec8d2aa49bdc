import { z } from "zod";
import { DurationSchema } from "./duration.ts";
import { UserIdSchema } from "./ids.ts";

export const RoleSchema = z.enum(["admin", "user"]);
export type Role = z.infer<typeof RoleSchema>;

/** Who a request (or socket) acts as, once its credential checked out. */
export interface AuthContext {
	userId: string;
	role: Role;
	/** The credential's id (`admin_secret` for the SPARKY_ADMIN_TOKEN secret). */
	tokenId: string;
	/** When the credential expires (ms since epoch), or null for never. */
	tokenExpiresAt: number | null;
}

/** `POST /api/users` body. */
export const CreateUserBodySchema = z.strictObject({ id: UserIdSchema, role: RoleSchema.default("user") });

/** `POST /api/users/:id/tokens` body. */
export const CreateTokenBodySchema = z.strictObject({
	name: z.string().trim().min(1).max(100).optional(),
	role: RoleSchema.optional(),
	/** Seconds, or a duration like "30d". Omitted: the token never expires. */
	expires_in: DurationSchema.optional(),
});

/** A user. `created_at` is 0 for the built-in `admin` and `agent` (they come with the schema). */
export const UserSchema = z.object({ id: z.string(), role: RoleSchema, created_at: z.number().int() });
export type User = z.infer<typeof UserSchema>;

/** A token as listed: never its secret. */
export const TokenSchema = z.object({
	id: z.string(),
	user_id: z.string(),
	name: z.string().nullable(),
	role: RoleSchema,
	created_at: z.number().int(),
	expires_at: z.number().int().nullable(),
	revoked_at: z.number().int().nullable(),
	last_used_at: z.number().int().nullable(),
});
export type Token = z.infer<typeof TokenSchema>;

/** `GET /api/me`. */
export const MeSchema = z.object({
	user_id: z.string(),
	role: RoleSchema,
	token_id: z.string(),
	token_expires_at: z.number().int().nullable(),
});
export type Me = z.infer<typeof MeSchema>;

/** `GET /api/agent/status`. */
export const AgentStatusSchema = z.object({
	counts: z.record(z.string(), z.number()),
	running: z.array(
		z.object({
			id: z.string(),
			user_id: z.string(),
			attempt: z.number(),
			started_at: z.number().nullable(),
			instruction: z.string(),
		}),
	),
	oldest_queued_age_ms: z.number().nullable(),
	recent_failures: z.array(
		z.object({ id: z.string(), user_id: z.string(), error: z.string().nullable(), finished_at: z.number().nullable() }),
	),
	model: z.string().nullable(),
	model_error: z.string().optional(),
	/** `all` for the agent user and admins, `own` for everyone else. */
	scope: z.enum(["all", "own"]),
});
export type AgentStatus = z.infer<typeof AgentStatusSchema>;
