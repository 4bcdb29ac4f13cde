/** Printing for people (tables, key: value lines) and for scripts (--json). */
export interface Output {
  readonly json: boolean;
  /** Progress bars: on a terminal, unless --json or --quiet. */
  readonly progress: boolean;
  result(value: unknown, human: () => string): void;
  info(text: string): void;
}

export function createOutput(options: { json?: boolean; quiet?: boolean }): Output {
  const json = options.json === true;
  return {
    json,
    progress: !json && options.quiet !== true && process.stderr.isTTY === true,
    result(value, human) {
      process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
    },
    info(text) {
      if (!json && options.quiet !== true) process.stderr.write(`${text}\n`);
    },
  };
}

export function table(headers: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = rows.map((r) => r.map((c) => (c === null || c === undefined ? '' : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(headers), ...cells.map(line)].join('\n');
}

export function keyValues(pairs: [string, unknown][]): string {
  const width = Math.max(...pairs.map(([k]) => k.length));
  return pairs
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${`${k}:`.padEnd(width + 1)} ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join('\n');
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}
