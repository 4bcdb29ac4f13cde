/**
 * "Try it": sends a JSON body to POST /api/v1/deployments/{name}/predict and shows what came back; "Explain"
 * sends its first row to …/explain and shows the row's waterfall.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { api, buildUrl, rawFetch } from '../../api/client';
import type { PredictAnswer, SpecTarget, VersionDetail } from '../../api/types';
import { formatNumber } from '../../lib/format';
import { Link, path } from '../../lib/router';
import { useSession } from '../../lib/session';
import { TableWrap } from '../../components/table';
import { ErrorNote } from '../../components/ui';
import { explainApi } from '../explain/explain-api';
import { firstRowBody } from '../explain/explain-data';
import { ExplanationView } from '../explain/explanation-view';
import type { Explanation } from '../explain/types';

type Signature = NonNullable<VersionDetail['signature']>;

/** The feature names of a row, by the same rules as the server (src/serving/model-schema.ts). */
export function featuresOf(signature: Signature): { name: string; datatype: string }[] | null {
  const out: { name: string; datatype: string }[] = [];
  for (const input of signature.inputs) {
    const inner = input.shape.slice(1);
    if (input.datatype === 'NON_TENSOR' || inner.length > 1 || inner.some((d) => d < 0)) return null;
    if (inner.length === 0 || inner[0] === 1) out.push({ name: input.name, datatype: input.datatype });
    else {
      const prefix = signature.inputs.length === 1 ? 'f' : `${input.name}_`;
      for (let c = 0; c < inner[0]!; c++) out.push({ name: `${prefix}${c}`, datatype: input.datatype });
    }
  }
  return out;
}

export function exampleBody(signature: Signature | null | undefined): string {
  const features = signature ? featuresOf(signature) : null;
  const row: Record<string, unknown> = {};
  for (const f of features ?? []) row[f.name] = f.datatype === 'BYTES' ? '' : f.datatype === 'BOOL' ? false : 0;
  // One row per line: easy to edit, and to copy into more rows.
  return `{\n  "rows": [\n    ${JSON.stringify(row).replace(/,"/g, ', "').replace(/":/g, '": ')}\n  ]\n}`;
}

function show(v: unknown): string {
  if (typeof v === 'number') return formatNumber(v);
  if (Array.isArray(v)) return `[${v.map(show).join(', ')}]`;
  return JSON.stringify(v);
}

export function TryIt({ name, first }: { name: string; first: SpecTarget | undefined }) {
  const { project } = useSession();
  const [body, setBody] = useState('');
  const [touched, setTouched] = useState(false);
  const [answer, setAnswer] = useState<PredictAnswer | null>(null);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [explanation, setExplanation] = useState<Explanation | null>(null);
  const [explainError, setExplainError] = useState<unknown>();
  const [explaining, setExplaining] = useState(false);

  // Start from a row with the features of the first target's model.
  const model = first?.model;
  const version = first?.version;
  useEffect(() => {
    if (touched || !model || !version) return;
    let cancelled = false;
    api.get('/api/v1/models/{name}/versions/{version}', { path: { name: model, version: String(version) }, query: { project } }).then(
      (v) => {
        if (!cancelled) setBody((b) => (b ? b : exampleBody(v.signature)));
      },
      () => {
        if (!cancelled) setBody((b) => (b ? b : exampleBody(null)));
      },
    );
    return () => {
      cancelled = true;
    };
  }, [model, version, project, touched]);

  const send = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    setAnswer(null);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch (err) {
      setError(new Error(`The body is not valid JSON: ${(err as Error).message}`));
      return;
    }
    setBusy(true);
    try {
      const res = await rawFetch('POST', buildUrl('/api/v1/deployments/{name}/predict', { name }, { project }), { body: JSON.stringify(parsed), headers: { 'content-type': 'application/json' } });
      setAnswer((await res.json()) as PredictAnswer);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const explain = async () => {
    setExplainError(undefined);
    setExplanation(null);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch (err) {
      setExplainError(new Error(`The body is not valid JSON: ${(err as Error).message}`));
      return;
    }
    const first = firstRowBody(parsed);
    if (!first) {
      setExplainError(new Error('Nothing to explain: the body needs a first row, as {"rows": [{feature: value, …}]} or {"columns": {feature: [values]}}.'));
      return;
    }
    setExplaining(true);
    try {
      setExplanation(await explainApi.explain(project, name, first));
    } catch (err) {
      setExplainError(err);
    } finally {
      setExplaining(false);
    }
  };

  return (
    <form onSubmit={(e) => void send(e)} className="try-it" data-testid="try-it">
      <label className="field">
        <span className="field-label">Request body (JSON)</span>
        <textarea
          rows={8}
          spellCheck={false}
          value={body}
          onChange={(e) => {
            setTouched(true);
            setBody(e.target.value);
          }}
          // Once the field has the focus, the example row no longer replaces what is being typed.
          onFocus={() => setTouched(true)}
          className="code-input"
          data-testid="try-body"
          aria-describedby="try-help"
        />
        <span id="try-help" className="field-help">
          {'{"rows": [{feature: value, …}]}'} or {'{"columns": {feature: [values]}}'}; null is a missing value (tree models only).
        </span>
      </label>
      <div className="try-actions">
        <button type="submit" className="button button-primary" disabled={busy} data-testid="try-send">
          {busy ? 'Sending…' : 'Send'}
        </button>
        <button type="button" className="button" disabled={explaining} onClick={() => void explain()} aria-describedby="try-explain-help" data-testid="try-explain">
          {explaining ? 'Explaining…' : 'Explain'}
        </button>
        <span id="try-explain-help" className="field-help">
          Explain shows how each feature moved the prediction of the first row.
        </span>
      </div>
      <ErrorNote error={error} context="Prediction refused" />
      {answer && (
        <div className="try-result" data-testid="try-result" aria-live="polite">
          <p>
            Answered by <strong>{answer.modelVersion.model} v{answer.modelVersion.version}</strong> (revision {answer.revision}).
          </p>
          <TableWrap>
            <table className="table table-compact">
              <caption className="visually-hidden">Predictions and their ids</caption>
              <thead>
                <tr>
                  <th scope="col">Row</th>
                  <th scope="col">Prediction</th>
                  <th scope="col">Prediction id</th>
                  <th scope="col">
                    <span className="visually-hidden">Explanation</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {answer.predictions.map((p, i) => (
                  <tr key={i}>
                    <th scope="row">{i + 1}</th>
                    <td className="num" data-testid={`prediction-${i}`}>
                      {show(p)}
                    </td>
                    <td>
                      <code data-testid={`prediction-id-${i}`}>{answer.predictionIds[i]}</code>
                    </td>
                    <td>
                      {answer.predictionIds[i] && (
                        <Link to={path('predictions', answer.predictionIds[i])} aria-label={`Explain the prediction of row ${i + 1}`} data-testid={`prediction-explain-${i}`}>
                          Explain
                        </Link>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        </div>
      )}
      <ErrorNote error={explainError} context="Could not explain the row" />
      {explanation && (
        <section className="try-explanation" aria-labelledby="try-explanation-heading" data-testid="try-explanation">
          <h3 id="try-explanation-heading">Explanation of the first row</h3>
          <p className="visually-hidden" role="status">
            The explanation of the first row is below.
          </p>
          <ExplanationView explanation={explanation} />
        </section>
      )}
    </form>
  );
}
