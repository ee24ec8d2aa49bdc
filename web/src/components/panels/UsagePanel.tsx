import type { ComponentChildren } from "preact";
import { useEffect, useMemo, useState } from "preact/hooks";
import { formatCount, formatTokenUsage, formatUsd } from "../../../../src/client/index.ts";
import type { BudgetStatus, UsageReport, UsageRow } from "../../../../src/protocol/index.ts";
import { exactTime, formatTime } from "../../lib/format.ts";
import { onNavClick } from "../../lib/nav-click.ts";
import type { Route } from "../../lib/route.ts";
import { chartMetric, daySeries, PERIODS, type Period } from "../../lib/usage.ts";
import type { Session } from "../../state/session.ts";
import { UsageState } from "../../state/usage.ts";
import { UsageChart } from "./UsageChart.tsx";

interface Props {
	session: Session;
	navigate: (route: Route) => void;
}

/**
 * What the agent's model calls cost (`GET /api/usage`): the viewer's budget standing, totals
 * for 7, 30 or 90 days, a chart per day, the models, the costliest tasks, and for admins every
 * user (or one). A model without a known price shows its tokens and "price unknown", never $0.
 */
export function UsagePanel({ session, navigate }: Props) {
	const [, setVersion] = useState(0);
	const admin = session.me.role === "admin";
	const state = useMemo(() => new UsageState(session.api, admin, () => setVersion((v) => v + 1)), [session, admin]);
	useEffect(() => {
		void state.start();
	}, [state]);
	const reports = state.reports;

	return (
		<section class="panel usage-panel" aria-labelledby="panel-heading">
			<h2 id="panel-heading">Usage</h2>
			<p class="muted">
				What the agent's model calls cost{admin ? ", for everyone (you are an admin)" : ""}. Days are UTC days. A model
				without a known price shows its tokens and "price unknown", never a dollar figure.
			</p>
			<BudgetStanding budget={state.budget} error={state.budgetError} admin={admin} />
			<section class="panel-section" aria-labelledby="usage-period-heading">
				<h3 id="usage-period-heading">
					{admin ? (state.user ? `Usage of ${state.user}` : "Everyone's usage") : "Your usage"}
				</h3>
				<div class="inline-form usage-controls">
					<span class="field">
						<label for="usage-period">Period</label>
						<select
							id="usage-period"
							value={String(state.period)}
							onChange={(e) => void state.setPeriod(Number(e.currentTarget.value) as Period)}
						>
							{PERIODS.map((days) => (
								<option key={days} value={String(days)}>
									Last {days} days
								</option>
							))}
						</select>
					</span>
					{admin && (
						<span class="field">
							<label for="usage-user">Whose</label>
							<select
								id="usage-user"
								value={state.user ?? ""}
								onChange={(e) => void state.setUser(e.currentTarget.value || undefined)}
							>
								<option value="">Everyone</option>
								{state.users?.map((u) => (
									<option key={u.id} value={u.id}>
										{u.id}
									</option>
								))}
							</select>
						</span>
					)}
				</div>
				<p class="muted usage-state" role="status">
					{state.loading
						? "Loading…"
						: reports && reports.days.total.calls === 0
							? "No model calls in this period."
							: ""}
				</p>
				{state.error && (
					<p class="error" role="alert">
						{state.error}{" "}
						<button type="button" class="link" onClick={() => void state.load()}>
							Retry
						</button>
					</p>
				)}
				{reports && <Totals total={reports.days.total} />}
				{reports && reports.days.total.calls > 0 && (
					<UsageChart
						points={daySeries(reports.days.rows, reports.days.since, reports.days.until)}
						metric={chartMetric(reports.days.total)}
						tokensWhy={reports.days.total.cost_usd === null ? "some calls have no known price" : "nothing cost money"}
					/>
				)}
			</section>
			{reports && reports.days.total.calls > 0 && (
				<>
					<ModelTable report={reports.models} />
					<TaskTable report={reports.tasks} navigate={navigate} />
					{reports.users && <UserTable report={reports.users} navigate={navigate} />}
				</>
			)}
		</section>
	);
}

/** The viewer's spend today and this month against their caps, and when each resets. */
function BudgetStanding({
	budget,
	error,
	admin,
}: {
	budget: BudgetStatus | undefined;
	error: string | undefined;
	admin: boolean;
}) {
	return (
		<section class="panel-section" aria-labelledby="budget-heading">
			<h3 id="budget-heading">Your budget</h3>
			{error && (
				<p class="error" role="alert">
					{error}
				</p>
			)}
			{!budget && !error && <p class="muted">Loading…</p>}
			{budget && (
				<>
					<dl class="facts budget-facts">
						<BudgetPeriod label="Today" period="day" budget={budget} />
						<BudgetPeriod label="This month" period="month" budget={budget} />
						<dt>Each task</dt>
						<dd data-field="task-default">
							{budget.task_default_usd === null
								? "No budget unless the task sets one."
								: `Pauses for a decision past ${formatUsd(budget.task_default_usd)}, unless the task sets its own budget.`}
						</dd>
					</dl>
					{admin && (
						<p class="muted">
							You set each user's day and month caps in Admin (open the user under <em>Users and tokens</em>).
						</p>
					)}
				</>
			)}
		</section>
	);
}

function BudgetPeriod({ label, period, budget }: { label: string; period: "day" | "month"; budget: BudgetStatus }) {
	const p = budget[period];
	const from = p.source === "user" ? " (set for you by an admin)" : p.source === "default" ? " (the default)" : "";
	const over = p.cap_usd !== null && p.spent_usd >= p.cap_usd;
	return (
		<>
			<dt>{label}</dt>
			<dd data-field={`budget-${period}`} data-over={over ? "true" : "false"}>
				<span class="budget-line">
					{p.cap_usd === null ? (
						<>{formatUsd(p.spent_usd)} spent, no cap</>
					) : (
						<>
							{formatUsd(p.spent_usd)} of {formatUsd(p.cap_usd)}
							{from}
						</>
					)}
					{over && <strong class="budget-over"> · spent: nothing more runs until it resets</strong>}
				</span>
				{p.cap_usd !== null && p.cap_usd > 0 && (
					<meter
						class="budget-meter"
						min={0}
						max={p.cap_usd}
						low={p.cap_usd * 0.8}
						high={p.cap_usd * 0.95}
						optimum={0}
						value={Math.min(p.spent_usd, p.cap_usd)}
						aria-label={`${label}: ${formatUsd(p.spent_usd)} of ${formatUsd(p.cap_usd)} spent`}
					/>
				)}
				<span class="muted">
					{" "}
					Resets{" "}
					<time dateTime={new Date(p.resets_at).toISOString()} title={exactTime(p.resets_at)}>
						{formatTime(p.resets_at)}
					</time>
					.
				</span>
			</dd>
		</>
	);
}

/** The period's totals: cost, tokens, model calls, runs; what had no price. */
function Totals({ total }: { total: UsageReport["total"] }) {
	return (
		<>
			<dl class="facts usage-totals">
				<dt>Cost</dt>
				<dd data-field="total-cost">{formatUsd(total.cost_usd)}</dd>
				<dt>Tokens</dt>
				<dd data-field="total-tokens">
					{formatTokenUsage({
						inputTokens: total.input_tokens,
						outputTokens: total.output_tokens,
						cachedInputTokens: total.cached_input_tokens,
						reasoningTokens: total.reasoning_tokens,
					})}
				</dd>
				<dt>Model calls</dt>
				<dd data-field="total-calls">{formatCount(total.calls)}</dd>
				<dt>Runs</dt>
				<dd data-field="total-runs">{formatCount(total.runs)}</dd>
			</dl>
			{total.unpriced_calls > 0 && (
				<p class="muted usage-unpriced">
					{formatCount(total.unpriced_calls)} of {formatCount(total.calls)} model calls had no known price: their tokens
					count, their cost is not known.
				</p>
			)}
		</>
	);
}

/** The columns every table shares after its first. */
function Figures({ row }: { row: UsageRow }) {
	return (
		<>
			<td data-label="Model calls">{formatCount(row.calls)}</td>
			<td data-label="Tokens">{formatCount(row.input_tokens + row.output_tokens)}</td>
			<td data-label="Cost" class={row.cost_usd === null ? "unknown" : undefined}>
				{formatUsd(row.cost_usd)}
			</td>
		</>
	);
}

function FiguresHead({ first }: { first: string }) {
	return (
		<thead>
			<tr>
				<th scope="col">{first}</th>
				<th scope="col">Model calls</th>
				<th scope="col">Tokens</th>
				<th scope="col">Cost</th>
			</tr>
		</thead>
	);
}

/** One grouping of the period's usage as a table: a row per key (its header cell is `rowHeader`'s), then the figures. */
function UsageTable({
	report,
	by,
	heading,
	caption,
	first,
	rowHeader,
	headerClass,
	children,
}: {
	report: UsageReport;
	by: "model" | "task" | "user";
	heading: string;
	caption: string;
	first: string;
	rowHeader: (row: UsageRow) => ComponentChildren;
	headerClass?: string;
	children?: ComponentChildren;
}) {
	const headingId = `usage-${by}s-heading`;
	return (
		<section class="panel-section" aria-labelledby={headingId}>
			<h3 id={headingId}>{heading}</h3>
			<table class="table usage-table" data-by={by}>
				<caption class="visually-hidden">{caption}</caption>
				<FiguresHead first={first} />
				<tbody>
					{report.rows.map((row) => (
						<tr key={row.key} data-key={row.key}>
							<th scope="row" data-label={first} class={headerClass}>
								{rowHeader(row)}
							</th>
							<Figures row={row} />
						</tr>
					))}
				</tbody>
			</table>
			{children}
		</section>
	);
}

function ModelTable({ report }: { report: UsageReport }) {
	return (
		<UsageTable
			report={report}
			by="model"
			heading="By model"
			caption="Usage by model over the period"
			first="Model"
			rowHeader={(row) => <code>{row.key}</code>}
		/>
	);
}

function TaskTable({ report, navigate }: { report: UsageReport; navigate: (route: Route) => void }) {
	return (
		<UsageTable
			report={report}
			by="task"
			heading="Top tasks by cost"
			caption="The costliest tasks and chat turns of the period"
			first="Task"
			headerClass="usage-task"
			rowHeader={(row) => (
				<a
					href={`/task/${encodeURIComponent(row.key)}`}
					onClick={(e) => onNavClick(e, () => navigate({ kind: "task", id: row.key }))}
				>
					{row.label?.trim() || row.key}
				</a>
			)}
		/>
	);
}

function UserTable({ report, navigate }: { report: UsageReport; navigate: (route: Route) => void }) {
	return (
		<UsageTable
			report={report}
			by="user"
			heading="By user"
			caption="Usage by user over the period"
			first="User"
			rowHeader={(row) => row.key}
		>
			<p class="muted">
				<a href="/admin" onClick={(e) => onNavClick(e, () => navigate({ kind: "admin" }))}>
					Set a user's day and month caps
				</a>{" "}
				in Admin, on the user (under <em>Users and tokens</em>).
			</p>
		</UsageTable>
	);
}
