import { useState } from "preact/hooks";
import type { Role, Token, User } from "../../../../src/protocol/index.ts";
import { exactTime, relativeTime } from "../../lib/format.ts";
import type { Session } from "../../state/session.ts";
import { TokenReveal } from "./TokenReveal.tsx";
import { UserBudget } from "./UserBudget.tsx";
import { attempt, useLoad } from "./use-load.ts";

const enc = encodeURIComponent;

/** Users (`/api/users`): create one; open a user to set its budget and to see, create and revoke its tokens. */
export function UsersAdmin({ session }: { session: Session }) {
	const api = session.api;
	const users = useLoad(async () => (await api.request<{ users: User[] }>("GET", "/api/users")).users);
	const [id, setId] = useState("");
	const [role, setRole] = useState<Role>("user");
	const [error, setError] = useState<string | undefined>();
	const [open, setOpen] = useState<string | undefined>();

	const create = async (e: Event) => {
		e.preventDefault();
		const failed = await attempt(() => api.request("POST", "/api/users", { id: id.trim(), role }));
		setError(failed);
		if (!failed) {
			setOpen(id.trim());
			setId("");
			await users.reload();
		}
	};

	return (
		<section class="panel-section" aria-labelledby="users-heading">
			<h3 id="users-heading">Users and tokens</h3>
			<form class="inline-form" onSubmit={create}>
				<span class="field">
					<label for="new-user-id">New user id</label>
					<input
						id="new-user-id"
						value={id}
						required
						placeholder="alice"
						onInput={(e) => setId(e.currentTarget.value)}
					/>
				</span>
				<span class="field">
					<label for="new-user-role">Role</label>
					<select id="new-user-role" value={role} onChange={(e) => setRole(e.currentTarget.value as Role)}>
						<option value="user">user</option>
						<option value="admin">admin</option>
					</select>
				</span>
				<button type="submit" class="small">
					Create user
				</button>
			</form>
			{(error || users.error) && (
				<p class="error" role="alert">
					{error ?? users.error}
				</p>
			)}
			<ul class="plain-list users">
				{users.data?.map((user) => (
					<li key={user.id} data-user-id={user.id}>
						<button
							type="button"
							class="link"
							aria-expanded={open === user.id}
							onClick={() => setOpen(open === user.id ? undefined : user.id)}
						>
							{user.id}
						</button>{" "}
						<span class="muted">{user.role}</span>
						{open === user.id && (
							<>
								<UserBudget session={session} userId={user.id} />
								<UserTokens session={session} userId={user.id} />
							</>
						)}
					</li>
				))}
			</ul>
		</section>
	);
}

function UserTokens({ session, userId }: { session: Session; userId: string }) {
	const api = session.api;
	const path = `/api/users/${enc(userId)}/tokens`;
	const tokens = useLoad(async () => (await api.request<{ tokens: Token[] }>("GET", path)).tokens, [userId]);
	const [name, setName] = useState("");
	const [expires, setExpires] = useState("");
	const [secret, setSecret] = useState<string | undefined>();
	const [error, setError] = useState<string | undefined>();

	const create = async (e: Event) => {
		e.preventDefault();
		const body = { ...(name.trim() ? { name: name.trim() } : {}), ...(expires ? { expires_in: expires } : {}) };
		const failed = await attempt(async () =>
			setSecret((await api.request<{ token: string }>("POST", path, body)).token),
		);
		setError(failed);
		if (!failed) {
			setName("");
			await tokens.reload();
		}
	};
	const revoke = async (token: Token) => {
		setError(await attempt(() => api.request("DELETE", `/api/tokens/${enc(token.id)}`)));
		await tokens.reload();
	};

	const live = tokens.data?.filter((t) => t.revoked_at === null) ?? [];
	return (
		<div class="sub-panel">
			<form class="inline-form" onSubmit={create}>
				<span class="field">
					<label for={`token-name-${userId}`}>Token name</label>
					<input
						id={`token-name-${userId}`}
						value={name}
						maxLength={100}
						placeholder="laptop"
						onInput={(e) => setName(e.currentTarget.value)}
					/>
				</span>
				<span class="field">
					<label for={`token-expiry-${userId}`}>Expires</label>
					<select id={`token-expiry-${userId}`} value={expires} onChange={(e) => setExpires(e.currentTarget.value)}>
						<option value="">never</option>
						<option value="1d">in 1 day</option>
						<option value="30d">in 30 days</option>
						<option value="90d">in 90 days</option>
					</select>
				</span>
				<button type="submit" class="small">
					Create token
				</button>
			</form>
			{secret && <TokenReveal secret={secret} onDone={() => setSecret(undefined)} />}
			{(error || tokens.error) && (
				<p class="error" role="alert">
					{error ?? tokens.error}
				</p>
			)}
			{live.length === 0 ? (
				<p class="muted">No live tokens.</p>
			) : (
				<table class="table token-table">
					<caption class="visually-hidden">Tokens of {userId}</caption>
					<thead>
						<tr>
							<th scope="col">Name</th>
							<th scope="col">Role</th>
							<th scope="col">Created</th>
							<th scope="col">Expires</th>
							<th scope="col">
								<span class="visually-hidden">Actions</span>
							</th>
						</tr>
					</thead>
					<tbody>
						{live.map((t) => (
							<tr key={t.id} data-token-id={t.id}>
								{/* data-label: a phone shows each row as a stack of labelled lines (panels.css). */}
								<td data-label="Name">{t.name ?? t.id}</td>
								<td data-label="Role">{t.role}</td>
								<td data-label="Created" title={exactTime(t.created_at)}>
									{relativeTime(t.created_at)}
								</td>
								<td data-label="Expires">{t.expires_at ? exactTime(t.expires_at) : "never"}</td>
								<td class="token-actions">
									<button type="button" class="danger small" onClick={() => void revoke(t)}>
										Revoke<span class="visually-hidden"> {t.name ?? t.id}</span>
									</button>
								</td>
							</tr>
						))}
					</tbody>
				</table>
			)}
		</div>
	);
}
