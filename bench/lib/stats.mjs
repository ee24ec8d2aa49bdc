/** Percentile of an unsorted sample (nearest rank). */
export function percentile(values, p) {
	if (values.length === 0) return Number.NaN;
	const sorted = Float64Array.from(values).sort();
	return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export const now = () => performance.timeOrigin + performance.now();

export const fmt = (n, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : "n/a");

export function table(rows) {
	const keys = Object.keys(rows[0]);
	const widths = keys.map((k) => Math.max(k.length, ...rows.map((r) => String(r[k]).length)));
	const line = (cells) => cells.map((c, i) => String(c).padStart(widths[i])).join("  ");
	return [line(keys), ...rows.map((r) => line(keys.map((k) => r[k])))].join("\n");
}
