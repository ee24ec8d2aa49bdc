import { useEffect, useState } from "preact/hooks";
import { type Consent, MCP_SCOPE_WORDS, type McpScope } from "../../../src/protocol/oauth.ts";
import { type Api, describeError } from "../lib/api.ts";

/** `/authorize`: the OAuth consent screen, true to the address it was opened at. */
export const isConsentPath = (pathname: string) => pathname === "/authorize";

type Step =
	| { kind: "loading" }
	| { kind: "ask"; consent: Consent }
	| { kind: "leaving" }
	| { kind: "error"; message: string };

/**
 * An app asks to use Sparky's `/mcp` as the signed-in user: who asks (a name it chose itself,
 * unless a domain vouches for it), where access will go, and the scopes, each to untick. The
 * authorization request is checked by the server, which keeps it under a single-use handle
 * bound to this browser; Allow or Deny sends the browser back to the app.
 */
export function ConsentScreen({ api, userId }: { api: Api; userId: string }) {
	const [step, setStep] = useState<Step>({ kind: "loading" });
	const [chosen, setChosen] = useState<McpScope[]>([]);
	const [busy, setBusy] = useState(false);

	const leave = (to: string) => {
		setStep({ kind: "leaving" });
		location.assign(to);
	};

	useEffect(() => {
		api
			.request<{ consent: Consent } | { redirect_to: string }>("POST", "/api/oauth/authorize", {
				query: location.search,
			})
			.then((answer) => {
				if ("redirect_to" in answer) return leave(answer.redirect_to);
				setChosen(answer.consent.scopes);
				setStep({ kind: "ask", consent: answer.consent });
			})
			.catch((cause) => setStep({ kind: "error", message: describeError(cause) }));
	}, []);

	const decide = async (approved: boolean) => {
		if (step.kind !== "ask" || busy) return;
		setBusy(true);
		try {
			const body = { handle: step.consent.handle, approved, ...(approved ? { scopes: chosen } : {}) };
			const answer = await api.request<{ redirect_to: string }>("POST", "/api/oauth/authorize/decision", body);
			leave(answer.redirect_to);
		} catch (cause) {
			setStep({ kind: "error", message: describeError(cause) });
		} finally {
			setBusy(false);
		}
	};

	return (
		<main class="signin">
			<section class="signin-card consent" aria-labelledby="consent-heading" aria-busy={step.kind === "loading"}>
				{step.kind === "loading" && <p role="status">Checking the request…</p>}
				{step.kind === "leaving" && <p role="status">Returning to the app…</p>}
				{step.kind === "error" && (
					<>
						<h1 id="consent-heading">This connection can't go on</h1>
						<p class="error" role="alert">
							{step.message}
						</p>
						<p>Start connecting again from the app.</p>
					</>
				)}
				{step.kind === "ask" && (
					<Ask
						consent={step.consent}
						userId={userId}
						chosen={chosen}
						setChosen={setChosen}
						busy={busy}
						decide={(approved) => void decide(approved)}
					/>
				)}
			</section>
		</main>
	);
}

interface AskProps {
	consent: Consent;
	userId: string;
	chosen: McpScope[];
	setChosen: (scopes: McpScope[]) => void;
	busy: boolean;
	decide: (approved: boolean) => void;
}

function Ask({ consent, userId, chosen, setChosen, busy, decide }: AskProps) {
	const toggle = (scope: McpScope, on: boolean) =>
		setChosen(consent.scopes.filter((s) => (s === scope ? on : chosen.includes(s))));
	return (
		<>
			<h1 id="consent-heading">
				Allow <span class="consent-app">{consent.client_name}</span> to use Sparky as {userId}?
			</h1>
			<p class="muted">
				{consent.client_domain ? (
					<>
						Published by <strong>{consent.client_domain}</strong>.
					</>
				) : (
					"This app registered itself: its name is not verified."
				)}{" "}
				Access will be sent to <strong class="consent-host">{consent.redirect_host}</strong>.
			</p>
			{consent.redirect_is_loopback && (
				<p class="warning">That is an app on this computer. Continue only if you just started connecting from it.</p>
			)}
			<fieldset class="consent-scopes">
				<legend>It may</legend>
				{consent.scopes.map((scope) => (
					<label key={scope}>
						<input
							type="checkbox"
							name="scope"
							value={scope}
							checked={chosen.includes(scope)}
							onChange={(e) => toggle(scope, e.currentTarget.checked)}
						/>
						<span>{MCP_SCOPE_WORDS[scope]}</span> <code class="muted">{scope}</code>
					</label>
				))}
			</fieldset>
			<div class="row-actions">
				<button type="button" disabled={busy || chosen.length === 0} onClick={() => decide(true)}>
					Allow
				</button>
				<button type="button" class="quiet" disabled={busy} onClick={() => decide(false)}>
					Deny
				</button>
			</div>
			<p class="hint">You can revoke it any time in Settings, under Connected apps.</p>
		</>
	);
}
