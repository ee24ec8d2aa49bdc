/** The hub of one user. Hubs are addressed by user id, so a user id maps to exactly one hub. */
export function hubFor(env: Env, userId: string) {
	return env.USER_HUB.getByName(userId);
}
