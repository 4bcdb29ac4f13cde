import { formatNumber } from '../../lib/format';

/** Metrics as compact "name value" pairs for a table cell. */
export function MetricsInline({ metrics, max = 4 }: { metrics: Record<string, number>; max?: number }) {
  const entries = Object.entries(metrics);
  if (entries.length === 0) return <span className="muted">—</span>;
  return (
    <ul className="metrics-inline">
      {entries.slice(0, max).map(([k, v]) => (
        <li key={k}>
          <span className="muted">{k}</span> {formatNumber(v)}
        </li>
      ))}
      {entries.length > max && <li className="muted">+{entries.length - max} more</li>}
    </ul>
  );
}
