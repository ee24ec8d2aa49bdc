import { formatCount, formatUsd } from "../../../../src/client/index.ts";
import { type DayPoint, dayLabel, pointValue } from "../../lib/usage.ts";

const W = 600;
const H = 120;

interface Props {
	points: DayPoint[];
	/** Dollars, or tokens when some call had no known price (or nothing cost money). */
	metric: "cost" | "tokens";
	/** Why the chart plots tokens, when it does. */
	tokensWhy?: string;
}

/**
 * Cost (or tokens) per day as bars: inline SVG, no chart library (like the board's chart). Its
 * label sums it up for a screen reader; the same figures are a table under it, on demand.
 */
export function UsageChart({ points, metric, tokensWhy }: Props) {
	const values = points.map((p) => pointValue(p, metric));
	const peak = Math.max(0, ...values);
	const total = values.reduce((a, b) => a + b, 0);
	const say = (n: number) => (metric === "cost" ? formatUsd(n) : `${formatCount(n)} tokens`);
	const first = points[0];
	const last = points.at(-1);
	const busiest = points[values.indexOf(peak)];
	const what = metric === "cost" ? "Cost" : "Tokens";
	const range = first && last ? `${dayLabel(first.day)} to ${dayLabel(last.day)}` : "";
	const label = `${what} per day, ${range}: ${say(total)} in all${
		peak > 0 && busiest ? `; the most on ${dayLabel(busiest.day)}, ${say(peak)}` : ""
	}.`;
	const slot = W / Math.max(1, points.length);
	const gap = slot > 4 ? 1 : 0;
	return (
		<figure class="usage-chart" data-metric={metric}>
			<svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label} preserveAspectRatio="none">
				<line x1="0" x2={W} y1={H - 0.5} y2={H - 0.5} class="axis" />
				{points.map((p, i) => {
					const value = values[i] ?? 0;
					if (value <= 0) return null;
					const height = Math.max(1, (value / peak) * (H - 2));
					return (
						<rect
							key={p.day}
							x={i * slot + gap / 2}
							y={H - 1 - height}
							width={slot - gap}
							height={height}
							data-day={p.day}
							data-value={value}
						>
							<title>
								{dayLabel(p.day)}: {say(value)}
							</title>
						</rect>
					);
				})}
			</svg>
			<figcaption>
				<span>
					{what} per day{metric === "tokens" && tokensWhy ? ` (${tokensWhy})` : ""}
				</span>{" "}
				<span class="muted">
					{range}
					{peak > 0 ? ` · most in a day: ${say(peak)}` : ""}
				</span>
			</figcaption>
			<details class="usage-chart-table">
				<summary>The figures per day</summary>
				<table class="table usage-table">
					<caption class="visually-hidden">
						{what} per day, {range}
					</caption>
					<thead>
						<tr>
							<th scope="col">Day (UTC)</th>
							<th scope="col">Model calls</th>
							<th scope="col">Tokens</th>
							<th scope="col">Cost</th>
						</tr>
					</thead>
					<tbody>
						{points
							.filter((p) => p.calls > 0)
							.map((p) => (
								<tr key={p.day} data-day={p.day}>
									<th scope="row" data-label="Day">
										{dayLabel(p.day)}
									</th>
									<td data-label="Model calls">{formatCount(p.calls)}</td>
									<td data-label="Tokens">{formatCount(p.tokens)}</td>
									<td data-label="Cost">{formatUsd(p.costUsd)}</td>
								</tr>
							))}
					</tbody>
				</table>
			</details>
		</figure>
	);
}
