/** The explanation of one or more predicted rows: how it was computed, and the waterfall of the chosen row and output. */
import { useMemo, useState } from 'react';
import { formatNumber } from '../../lib/format';
import { Badge } from '../../components/ui';
import { defaultOutput, formatValue, METHOD_WORDS, spaceLabel, waterfallSteps } from './explain-data';
import { clampOutput, OutputSelect } from './explain-figure';
import { WaterfallFigure } from './waterfall-chart';
import type { Explanation } from './types';

/** A gap between bias + Σφ and the model's own output worth saying out loud. */
const ADDITIVITY_WARN = 1e-3;

function show(v: unknown): string {
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return `[${v.map(show).join(', ')}]`;
  return JSON.stringify(v);
}

export function MethodLine({ method, note, additivityError, space, outputs }: { method: string; note: string | null; additivityError: number; space: string; outputs: string[] }) {
  return (
    <>
      <p className="explain-method" data-testid="explain-method">
        <Badge tone={method === 'tree' ? 'good' : 'info'}>{METHOD_WORDS[method] ?? method}</Badge> SHAP values in {spaceLabel(space, outputs)}; with the bias they add up to the model&apos;s output
        {additivityError > ADDITIVITY_WARN ? '' : ` within ${formatNumber(additivityError)}`}.
        {note && <span className="muted"> {note}</span>}
      </p>
      {additivityError > ADDITIVITY_WARN && (
        <p className="note note-warn" role="status" data-testid="additivity-warning">
          The SHAP values miss the model&apos;s output by up to {formatNumber(additivityError)}: read them as an estimate.
        </p>
      )}
    </>
  );
}

export function ExplanationView({ explanation: e, testId = 'waterfall' }: { explanation: Explanation; testId?: string }) {
  const [row, setRow] = useState(0);
  const r = row < e.values.length ? row : 0;
  const [chosen, setOutput] = useState<number | null>(null);
  const output = clampOutput(chosen ?? defaultOutput(e, r), e.outputs);
  const waterfall = useMemo(() => waterfallSteps({ features: e.features, values: e.values[r] ?? [], shap: e.shap[r]?.[output] ?? [], bias: e.bias[output] ?? 0 }), [e, r, output]);
  const rows = e.values.length;
  return (
    <div className="explanation" data-testid="explanation">
      <p>
        Explained by <strong data-testid="explained-by">{e.model.name} v{e.model.version}</strong>; predicted <strong data-testid="explained-prediction">{show(e.predictions[r])}</strong>
        {rows > 1 ? ` for row ${r + 1}` : ''}.
      </p>
      <MethodLine method={e.method} note={e.note} additivityError={e.additivityError} space={e.space} outputs={e.outputs} />
      <WaterfallFigure
        waterfall={waterfall}
        space={e.space}
        output={e.outputs[output] ?? 'output'}
        testId={testId}
        controls={
          <>
            {rows > 1 && (
              <label className="field field-compact">
                <span className="field-label">Row</span>
                <select value={r} onChange={(ev) => setRow(Number(ev.target.value))} data-testid="explain-row">
                  {e.values.map((_v, i) => (
                    <option key={i} value={i}>
                      Row {i + 1}
                    </option>
                  ))}
                </select>
              </label>
            )}
            <OutputSelect outputs={e.outputs} value={output} onChange={(o) => setOutput(o ?? 0)} testId="waterfall-output" />
          </>
        }
      />
      <details className="explain-values">
        <summary>Every feature&apos;s value and contribution</summary>
        <table className="table table-compact" data-testid="explain-values">
          <caption className="visually-hidden">Feature values of the row and their SHAP values</caption>
          <thead>
            <tr>
              <th scope="col">Feature</th>
              <th scope="col">Value</th>
              <th scope="col" className="num">
                SHAP value ({e.outputs[output] ?? 'output'})
              </th>
            </tr>
          </thead>
          <tbody>
            {e.features.map((f, j) => (
              <tr key={f}>
                <th scope="row">{f}</th>
                <td>{formatValue(e.values[r]?.[j])}</td>
                <td className="num">{formatNumber(e.shap[r]?.[output]?.[j] ?? null)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </div>
  );
}
