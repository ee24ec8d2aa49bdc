import { useState } from "preact/hooks";
import type { McpApproval, McpServer, McpToolInfo } from "../../../../src/protocol/mcp.ts";
import type { Session } from "../../state/session.ts";
import { attempt, useLoad } from "./use-load.ts";

const enc = encodeURIComponent;
const APPROVAL_LABEL: Record<McpApproval, string> = {
	auto: "ask before tools that change things",
	always: "ask before every tool",
	never: "never ask",
};

/** `/api/mcp-servers`: connect one (its auth header is write-only), list, switch off and on, show tools, remove. */
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

	const add = async (e: Event) => {
		e.preventDefault();
		const headers = headerValue ? { [headerName.trim() || "Authorization"]: headerValue } : undefined;
		const body = { name: name.trim(), url: url.trim(), approval, ...(headers ? { headers } : {}) };
		const failed = await attempt(() => api.request("POST", "/api/mcp-servers", body));
		setError(failed);
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
					Optional, for servers that want a key. Write-only: Sparky stores it encrypted and never shows it again.
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
							<code class="muted">{s.url}</code>
						</div>
						<div class="muted">
							{s.header_names.length > 0 ? `headers: ${s.header_names.join(", ")} (values hidden)` : "no headers"} ·{" "}
							{APPROVAL_LABEL[s.approval]}
						</div>
						<div class="row-actions">
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
