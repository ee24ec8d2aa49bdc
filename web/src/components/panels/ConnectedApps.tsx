import { useState } from "preact/hooks";
import type { ConnectedApp } from "../../../../src/protocol/oauth.ts";
import { formatTime } from "../../lib/format.ts";
import type { Session } from "../../state/session.ts";
import { attempt, useLoad } from "./use-load.ts";

const enc = encodeURIComponent;

/** `/api/connected-apps`: the apps you let use Sparky's `/mcp` with OAuth, and revoking one. */
export function ConnectedApps({ session }: { session: Session }) {
	const api = session.api;
	const apps = useLoad(
		async () => (await api.request<{ connected_apps: ConnectedApp[] }>("GET", "/api/connected-apps")).connected_apps,
	);
	const [error, setError] = useState<string | undefined>();
	const revoke = async (app: ConnectedApp) => {
		setError(await attempt(() => api.request("DELETE", `/api/connected-apps/${enc(app.id)}`)));
		await apps.reload();
	};
	return (
		<section class="panel-section" aria-labelledby="apps-heading">
			<h3 id="apps-heading">Connected apps</h3>
			<p class="muted">
				Apps you allowed to use Sparky through <code>/mcp</code>. Revoking one stops its access at once; it has to ask
				you again.
			</p>
			{(error || apps.error) && (
				<p class="error" role="alert">
					{error ?? apps.error}
				</p>
			)}
			{apps.data?.length === 0 && <p class="muted">No connected apps.</p>}
			<ul class="plain-list connected-apps">
				{apps.data?.map((app) => (
					<li key={app.id} data-connected-app={app.id}>
						<div>
							<strong>{app.client_name}</strong>
							{app.redirect_host && <span class="muted"> · sends to {app.redirect_host}</span>}
						</div>
						<div class="muted">
							{app.scopes.join(", ") || "no scopes"} · connected {formatTime(app.created_at)}
						</div>
						<div class="row-actions">
							<button type="button" class="danger small" onClick={() => void revoke(app)}>
								Revoke<span class="visually-hidden"> {app.client_name}</span>
							</button>
						</div>
					</li>
				))}
			</ul>
		</section>
	);
}
