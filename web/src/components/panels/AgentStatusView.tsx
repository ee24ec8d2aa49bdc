import type { AgentStatus } from "../../../../src/protocol/index.ts";
import { exactTime, firstLine, formatDuration, relativeTime } from "../../lib/format.ts";
import type { Session } from "../../state/session.ts";
import { ErrorNote } from "../ErrorNote.tsx";
import { statusLabel } from "../StatusBadge.tsx";
import { useLoad } from "./use-load.ts";

/** `GET /api/agent/status`: the model, counts by status, what runs now, queue age, recent failures. */
export function AgentStatusView({ session }: { session: Session }) {
	const { data, error, reload } = useLoad(() => session.api.request<AgentStatus>("GET", "/api/agent/status"));
	return (
		<section class="panel-section" aria-labelledby="agent-status-heading">
			<div class="panel-head">
				<h3 id="agent-status-heading">Agent status</h3>
				<button type="button" class="quiet small" onClick={() => void reload()}>
					Refresh
				</button>
			</div>
			<ErrorNote error={error} />
			{data && (
				<>
					<dl class="facts">
						<dt>Model</dt>
						<dd data-testid="agent-model">
							<code>{data.model ?? "none"}</code>
							{data.model_error && <span class="error"> {data.model_error}</span>}
						</dd>
						<dt>Oldest queued</dt>
						<dd>{data.oldest_queued_age_ms === null ? "nothing queued" : formatDuration(data.oldest_queued_age_ms)}</dd>
						{Object.entries(data.counts).flatMap(([status, n]) => [
							<dt key={`${status}-dt`}>{statusLabel(status)}</dt>,
							<dd key={`${status}-dd`} data-count={status}>
								{n}
							</dd>,
						])}
					</dl>
					<h4>Running now</h4>
					{data.running.length === 0 ? (
						<p class="muted">Nothing is running.</p>
					) : (
						<ul class="plain-list">
							{data.running.map((t) => (
								<li key={t.id}>
									<a href={`/task/${t.id}`}>{firstLine(t.instruction, 80) || t.id}</a>{" "}
									<span class="muted">
										by {t.user_id}, attempt {t.attempt}
										{t.started_at && `, started ${relativeTime(t.started_at)}`}
									</span>
								</li>
							))}
						</ul>
					)}
					<h4>Recent failures</h4>
					{data.recent_failures.length === 0 ? (
						<p class="muted">No recent failures.</p>
					) : (
						<ul class="plain-list">
							{data.recent_failures.map((t) => (
								<li key={t.id}>
									<a href={`/task/${t.id}`}>{t.id}</a> <span class="muted">by {t.user_id}</span>
									{t.finished_at && (
										<time title={exactTime(t.finished_at)} class="muted">
											{" "}
											{relativeTime(t.finished_at)}
										</time>
									)}
									{t.error && <div class="failure-text">{firstLine(t.error, 160)}</div>}
								</li>
							))}
						</ul>
					)}
				</>
			)}
		</section>
	);
}
