import { useState } from "preact/hooks";

interface Props {
	onSignIn: (token: string) => Promise<void>;
	error: string | undefined;
}

/** A token, checked with `GET /api/me`; a refused one explains itself. */
export function SignIn({ onSignIn, error }: Props) {
	const [token, setToken] = useState("");
	const [busy, setBusy] = useState(false);

	const submit = async (event: Event) => {
		event.preventDefault();
		const value = token.trim();
		if (!value || busy) return;
		setBusy(true);
		try {
			await onSignIn(value);
		} finally {
			setBusy(false);
		}
	};

	return (
		<main class="signin">
			<form class="signin-card" onSubmit={submit} aria-describedby="signin-help">
				<h1>Sparky</h1>
				<p id="signin-help">
					Sign in with an API token: the local admin token is <code>SPARKY_ADMIN_TOKEN</code> in <code>.dev.vars</code>.
					To watch the agent at work, use a token of the <code>agent</code> user.
				</p>
				<label for="token">API token</label>
				<input
					id="token"
					name="token"
					type="password"
					autocomplete="current-password"
					spellcheck={false}
					required
					// biome-ignore lint/a11y/noAutofocus: the sign-in form is the whole page; the token is its one field
					autoFocus
					value={token}
					onInput={(e) => setToken(e.currentTarget.value)}
					aria-invalid={error ? true : undefined}
					aria-describedby={error ? "signin-error" : undefined}
				/>
				<button type="submit" disabled={busy}>
					{busy ? "Signing in…" : "Sign in"}
				</button>
				{error && (
					<p id="signin-error" class="error" role="alert">
						{error}
					</p>
				)}
			</form>
		</main>
	);
}
