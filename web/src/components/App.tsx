import { useEffect, useState } from "preact/hooks";
import type { Me } from "../../../src/protocol/index.ts";
import { Api, ApiError, describeError } from "../lib/api.ts";
import { browserTokenStore } from "../lib/token-store.ts";
import { Session } from "../state/session.ts";
import { ConsentScreen, isConsentPath } from "./Consent.tsx";
import { SignIn } from "./SignIn.tsx";
import { Workspace } from "./Workspace.tsx";

const tokens = browserTokenStore();

/** Signed out: the sign-in form. Signed in: one `Session` and the workspace around it. */
export function App() {
	const [session, setSession] = useState<Session | undefined>();
	const [checking, setChecking] = useState(() => tokens.get() !== null);
	const [error, setError] = useState<string | undefined>();

	const signOut = (reason?: string) => {
		tokens.clear();
		setSession(undefined);
		setError(reason);
	};

	/** Verifies a token with `GET /api/me`; keeps it only when the server accepts it. */
	const signIn = async (token: string, saved = false): Promise<void> => {
		const api = new Api(token, location.origin);
		let me: Me;
		try {
			me = await api.me();
		} catch (cause) {
			if (cause instanceof ApiError && cause.status === 401) {
				tokens.clear();
				setError(
					saved
						? `Your saved token is no longer accepted (${cause.message}). Sign in again.`
						: `Sign-in failed: ${cause.message}. Check the token and try again.`,
				);
			} else setError(describeError(cause));
			return;
		}
		tokens.set(token);
		setError(undefined);
		setSession(new Session(api, me, (reason) => signOut(reason)));
	};

	useEffect(() => {
		const saved = tokens.get();
		if (saved) void signIn(saved, true).finally(() => setChecking(false));
	}, []);

	useEffect(() => {
		if (!session) return;
		session.start();
		return () => session.stop();
	}, [session]);

	if (checking) {
		return (
			<p class="splash" role="status">
				Signing in…
			</p>
		);
	}
	if (!session) return <SignIn onSignIn={(token) => signIn(token)} error={error} />;
	// An app asking to connect (OAuth): the consent screen, as the signed-in user.
	if (isConsentPath(location.pathname)) return <ConsentScreen api={session.api} userId={session.me.user_id} />;
	return <Workspace session={session} onSignOut={() => signOut()} />;
}
