/** Display helpers. */

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** A number for a table: integers as they are, others with up to 4 significant decimals. */
export function formatNumber(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return String(v);
    if (Number.isInteger(v)) return v.toLocaleString('en-US');
    const abs = Math.abs(v);
    if (abs !== 0 && (abs < 1e-3 || abs >= 1e7)) return v.toExponential(3);
    return Number(v.toPrecision(abs >= 1 ? 6 : 4)).toString();
  }
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return String(v);
}

export function formatPercent(fraction: number | null | undefined, digits = 1): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return '—';
  return `${(fraction * 100).toFixed(digits)}%`;
}

/** 'iris v3' or 'iris @champion (v3)'. */
export function targetLabel(t: { model: string; version?: number | null; alias?: string | null }): string {
  if (t.alias) return `${t.model} @${t.alias}${t.version ? ` (v${t.version})` : ''}`;
  return `${t.model} v${t.version ?? '?'}`;
}

export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? word : many}`;
}
