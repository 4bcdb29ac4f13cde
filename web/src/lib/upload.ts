/** Pure helpers of the upload forms (registering a model version, uploading a dataset version). */

/** What the server accepts as a model or dataset name. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export function nameProblem(name: string, what: 'model' | 'dataset'): string | null {
  if (name === '') return `Give the ${what} a name.`;
  if (!NAME_PATTERN.test(name)) return `The ${what} name can have letters, digits, '-', '_' and '.', must start with a letter or digit, and be at most 128 characters.`;
  return null;
}

/**
 * Metrics typed as `key=value` lines (blank lines and lines starting with # are skipped). Returns the
 * metrics, or the first problem in plain words with its line number.
 */
export function parseMetrics(text: string): { metrics: Record<string, number> } | { problem: string } {
  const metrics: Record<string, number> = {};
  const lines = text.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const at = line.indexOf('=');
    const where = `Metrics, line ${i + 1}`;
    if (at < 0) return { problem: `${where}: write it as name=value, e.g. rmse=0.42.` };
    const key = line.slice(0, at).trim();
    const valueText = line.slice(at + 1).trim();
    if (key === '') return { problem: `${where}: the metric has no name before '='.` };
    if (key.length > 250) return { problem: `${where}: metric names are at most 250 characters.` };
    if (key === '__proto__') return { problem: `${where}: “__proto__” cannot be a metric name.` };
    const value = valueText === '' ? Number.NaN : Number(valueText);
    if (!Number.isFinite(value)) return { problem: `${where}: the value of ${key} must be a number (got “${valueText}”).` };
    if (Object.hasOwn(metrics, key)) return { problem: `${where}: ${key} is given twice.` };
    metrics[key] = value;
  }
  return { metrics };
}

/** The flavor a model file's name suggests, if any. */
export function flavorFromFileName(fileName: string): 'onnx' | 'xgboost-json' | null {
  const lower = fileName.toLowerCase();
  if (lower.endsWith('.onnx')) return 'onnx';
  if (lower.endsWith('.json')) return 'xgboost-json';
  return null;
}

/** "42%" of an upload, or null when the size is unknown. */
export function percentOf(loaded: number, total: number | null): number | null {
  if (total === null || total <= 0) return null;
  return Math.min(100, Math.max(0, Math.round((loaded / total) * 100)));
}
