/** One minute of the chart: tasks that started and ended in it. */
export interface MinutePoint {
	minute: number;
	started: number;
	ended: number;
}

const W = 240;
const H = 40;

/**
 * Tasks started and ended per minute over the last hour: two rows of thin bars in inline SVG
 * (no chart library), started above the line, ended below it. The totals are in its label.
 */
export function BoardChart({ series }: { series: MinutePoint[] }) {
	const peak = Math.max(1, ...series.map((p) => Math.max(p.started, p.ended)));
	const bar = W / Math.max(1, series.length);
	const half = H / 2;
	const started = series.reduce((sum, p) => sum + p.started, 0);
	const ended = series.reduce((sum, p) => sum + p.ended, 0);
	const label = `Last hour: ${started} started, ${ended} ended (per minute, busiest minute ${peak})`;
	return (
		<figure class="board-chart">
			<svg viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-label={label} preserveAspectRatio="none">
				<line x1="0" x2={W} y1={half} y2={half} class="axis" />
				{series.map((p, i) => {
					const up = (p.started / peak) * (half - 1);
					const down = (p.ended / peak) * (half - 1);
					return (
						<g key={p.minute}>
							{up > 0 && <rect class="started" x={i * bar + 0.5} y={half - up} width={bar - 1} height={up} />}
							{down > 0 && <rect class="ended" x={i * bar + 0.5} y={half} width={bar - 1} height={down} />}
						</g>
					);
				})}
			</svg>
			<figcaption>
				<span class="key started">▲ {started} started</span> <span class="key ended">▼ {ended} ended</span>{" "}
				<span class="muted">per minute, last hour</span>
			</figcaption>
		</figure>
	);
}
