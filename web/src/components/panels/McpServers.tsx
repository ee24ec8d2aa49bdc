import { useState } from "preact/hooks";
import type { McpApproval, McpServer, McpSignIn, McpToolInfo } from "../../../../src/protocol/mcp.ts";
import type { Session } from "../../state/session.ts";
import { attempt, useLoad } from "./use-load.ts";

const enc = encodeURIComponent;
const APPROVAL_LABEL: Record<McpApproval, string> = {
	auto: "ask before tools that change things",
	always: "ask before every tool",
	never: "never ask",
};

/**
 * `/api/mcp-servers`: connect one (its auth header is write-only; a server that wants an OAuth
 * sign-in opens the provider's page), list with sign-in state and health, sign in again,
 * switch off and on, show tools, remove.
 */
export function McpServers({ session }: { session: Session }) {
	const api = session.api;
	const servers = useLoad(
		async () => (await api.request<{ mcp_servers: McpServer[] }>("GET", "/api/mcp-servers")).mcp_servers,
	);
	const [name, setName] = useState("");
	const [url, setUrl] = useState("");
	const [headerName, setHeaderName] = useState("Authorization");
	const [headerValue, setHeaderValue] = useState("");
	const [approval, setApproval] = useState<McpApproval>("auto");
	const [error, setError] = useState<string | undefined>();
	const [tools, setTools] = useState<{ server: string; tools?: McpToolInfo[]; error?: string }>();
	// A sign-in to finish at the provider: a link (a window opened after an await would be blocked as a pop-up).
	const [signInLink, setSignInLink] = useState<{ server: string; signIn: McpSignIn }>();

	const add = async (e: Event) => {
		e.preventDefault();
		const headers = headerValue ? { [headerName.trim() || "Authorization"]: headerValue } : undefined;
		const body = { name: name.trim(), url: url.trim(), approval, ...(headers ? { headers } : {}) };
		let signIn: McpSignIn | undefined;
		const failed = await attempt(async () => {
			signIn = (await api.request<{ sign_in?: McpSignIn }>("POST", "/api/mcp-servers", body)).sign_in;
		});
		setError(failed);
		if (signIn) setSignInLink({ server: body.name, signIn });
		if (!failed) {
			setName("");
			setUrl("");
			setHeaderValue(""); // the secret leaves the page's memory once sent
			await servers.reload();
		}
	};
	const remove = async (server: McpServer) => {
		setError(await attempt(() => api.request("DELETE", `/api/mcp-servers/${enc(server.name)}`)));
		if (tools?.server === server.name) setTools(undefined);
		await servers.reload();
	};
	const toggle = async (server: McpServer) => {
		const path = `/api/mcp-servers/${enc(server.name)}`;
		setError(await attempt(() => api.request("PATCH", path, { enabled: !server.enabled })));
		await servers.reload();
	};
	const signInAgain = async (server: McpServer) => {
		let signIn: McpSignIn | undefined;
		setError(
			await attempt(async () => {
				const path = `/api/mcp-servers/${enc(server.name)}/sign-in`;
				signIn = (await api.request<{ sign_in: McpSignIn }>("POST", path)).sign_in;
			}),
		);
		if (signIn) setSignInLink({ server: server.name, signIn });
		await servers.reload();
	};
	const showTools = async (server: McpServer) => {
		setTools({ server: server.name });
		try {
			const answer = await api.request<{ tools: McpToolInfo[] }>("GET", `/api/mcp-servers/${enc(server.name)}/tools`);
			setTools({ server: server.name, tools: answer.tools });
		} catch (cause) {
			setTools({ server: server.name, error: cause instanceof Error ? cause.message : String(cause) });
		}
	};

	return (
		<section class="panel-section" aria-labelledby="mcp-heading">
			<h3 id="mcp-heading">MCP servers</h3>
			<p class="muted">
				The agent offers their tools in every run of your tasks and chats, as <code>server__tool</code>.
			</p>
			<form class="stack-form" onSubmit={add}>
				<div class="inline-form">
					<span class="field">
						<label for="mcp-name">Name</label>
						<input
							id="mcp-name"
							required
							maxLength={32}
							placeholder="everything"
							value={name}
							onInput={(e) => setName(e.currentTarget.value)}
						/>
					</span>
					<span class="field">
						<label for="mcp-url">URL</label>
						<input
							id="mcp-url"
							type="url"
							required
							maxLength={2048}
							placeholder="https://mcp.example.com/mcp"
							value={url}
							onInput={(e) => setUrl(e.currentTarget.value)}
						/>
					</span>
				</div>
				<div class="inline-form">
					<span class="field">
						<label for="mcp-header-name">Auth header</label>
						<input id="mcp-header-name" value={headerName} onInput={(e) => setHeaderName(e.currentTarget.value)} />
					</span>
					<span class="field">
						<label for="mcp-header-value">Header value</label>
						<input
							id="mcp-header-value"
							type="password"
							autoComplete="off"
							placeholder="Bearer …"
							aria-describedby="mcp-header-hint"
							value={headerValue}
							onInput={(e) => setHeaderValue(e.currentTarget.value)}
						/>
					</span>
				</div>
				<p id="mcp-header-hint" class="hint">
					Optional, for servers that want a key. Write-only: Sparky stores it encrypted and never shows it again. A
					server that signs in with OAuth needs none: Sparky opens its sign-in page.
				</p>
				<div class="inline-form">
					<span class="field">
						<label for="mcp-approval">Approval</label>
						<select
							id="mcp-approval"
							value={approval}
							onChange={(e) => setApproval(e.currentTarget.value as McpApproval)}
						>
							{(Object.keys(APPROVAL_LABEL) as McpApproval[]).map((a) => (
								<option key={a} value={a}>
									{APPROVAL_LABEL[a]}
								</option>
							))}
						</select>
					</span>
					<button type="submit" class="small">
						Add server
					</button>
				</div>
			</form>
			{signInLink && (
				<p class="hint" role="status" data-mcp-sign-in={signInLink.server}>
					<strong>{signInLink.server}</strong> signs in with OAuth:{" "}
					<a href={signInLink.signIn.authorization_url} target="_blank" rel="noopener noreferrer">
						open its sign-in page
					</a>{" "}
					(within 10 minutes), then{" "}
					<button
						type="button"
						class="quiet small"
						onClick={() => void servers.reload().then(() => setSignInLink(undefined))}
					>
						check again
					</button>
				</p>
			)}
			{(error || servers.error) && (
				<p class="error" role="alert">
					{error ?? servers.error}
				</p>
			)}
			{servers.data?.length === 0 && <p class="muted">No MCP servers yet.</p>}
			<ul class="plain-list mcp-servers">
				{servers.data?.map((s) => (
					<li key={s.name} data-mcp-server={s.name}>
						<div>
							<strong>{s.name}</strong>{" "}
							<span class={`badge ${s.enabled ? "status-succeeded" : "status-cancelled"}`}>
								{s.enabled ? "on" : "off"}
							</span>{" "}
							<code class="muted">{s.url}</code> <AuthBadge server={s} />
						</div>
						<div class="muted">
							{s.auth
								? `signs in with OAuth at ${s.auth.issuer}`
								: s.header_names.length > 0
									? `headers: ${s.header_names.join(", ")} (values hidden)`
									: "no headers"}{" "}
							· {APPROVAL_LABEL[s.approval]}
						</div>
						{s.auth?.state === "needs_sign_in" && (
							<p class="error" role="status">
								Needs sign-in: {s.auth.reason ?? "the sign-in ended"}. Its tools are left out of your runs until you
								sign in again.
							</p>
						)}
						{s.health?.state === "failing" && (
							<p class="muted" role="status">
								Failing since {new Date(s.health.last_error_at ?? 0).toLocaleString()}: {s.health.last_error}
							</p>
						)}
						<div class="row-actions">
							{s.auth && (
								<button type="button" class="small" onClick={() => void signInAgain(s)}>
									{s.auth.state === "signed_in" ? "Sign in again" : "Sign in"}
									<span class="visually-hidden"> to {s.name}</span>
								</button>
							)}
							<button
								type="button"
								class="quiet small"
								aria-expanded={tools?.server === s.name}
								onClick={() => (tools?.server === s.name ? setTools(undefined) : void showTools(s))}
							>
								{tools?.server === s.name ? "Hide tools" : "Show tools"}
								<span class="visually-hidden"> of {s.name}</span>
							</button>
							<button type="button" class="quiet small" onClick={() => void toggle(s)}>
								{s.enabled ? "Disable" : "Enable"}
								<span class="visually-hidden"> {s.name}</span>
							</button>
							<button type="button" class="danger small" onClick={() => void remove(s)}>
								Remove<span class="visually-hidden"> {s.name}</span>
							</button>
						</div>
						{tools && tools.server === s.name && <ToolList tools={tools.tools} error={tools.error} />}
					</li>
				))}
			</ul>
		</section>
	);
}

const AUTH_LABEL = { signed_in: "signed in", pending: "sign-in pending", needs_sign_in: "needs sign-in" } as const;
const AUTH_CLASS = {
	signed_in: "status-succeeded",
	pending: "status-queued",
	needs_sign_in: "status-awaiting_approval",
} as const;

function AuthBadge({ server }: { server: McpServer }) {
	if (!server.auth) return null;
	return (
		<span class={`badge ${AUTH_CLASS[server.auth.state]}`} data-mcp-auth={server.auth.state}>
			{AUTH_LABEL[server.auth.state]}
		</span>
	);
}

function ToolList({ tools, error }: { tools?: McpToolInfo[]; error?: string }) {
	if (error)
		return (
			<p class="error" role="alert">
				{error}
			</p>
		);
	if (!tools)
		return (
			<p class="muted" role="status">
				Asking the server…
			</p>
		);
	if (tools.length === 0) return <p class="muted">This server offers no tools.</p>;
	return (
		<ul class="plain-list tools-list">
			{tools.map((t) => (
				<li key={t.name}>
					<code>{t.agent_name}</code>{" "}
					{t.needs_approval && <span class="badge status-awaiting_approval">asks first</span>}
					{t.description && <div class="muted">{t.description}</div>}
				</li>
			))}
		</ul>
	);
}
