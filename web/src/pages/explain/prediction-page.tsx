/**
 * The explanation of one logged prediction, by its id (/predictions/:id), and a form to paste an id
 * (/predictions). Ids come from a prediction's answer (predictionIds) or its x-prediction-id header.
 */
import { useState, type FormEvent } from 'react';
import { ApiError } from '../../api/client';
import { formatTime } from '../../lib/format';
import { Link, navigate, path } from '../../lib/router';
import { useSession } from '../../lib/session';
import { useApi } from '../../lib/use-api';
import { Empty, ErrorNote, Loading, PageTitle } from '../../components/ui';
import { explainApi } from './explain-api';
import { ExplanationView } from './explanation-view';

function LookupForm({ initial = '' }: { initial?: string }) {
  const [id, setId] = useState(initial);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const trimmed = id.trim();
    if (trimmed) navigate(path('predictions', trimmed));
  };
  return (
    <form className="form-inline" onSubmit={submit} role="search" aria-label="Explain a prediction by id" data-testid="prediction-lookup">
      <label className="field field-inline">
        <span className="field-label">Prediction id</span>
        <input value={id} onChange={(e) => setId(e.target.value)} placeholder="paste a prediction id" spellCheck={false} className="code-input" aria-describedby="prediction-id-help" data-testid="prediction-id-input" />
        <span id="prediction-id-help" className="field-help">
          From <code>predictionIds</code> in a prediction&apos;s answer, or its <code>x-prediction-id</code> header.
        </span>
      </label>
      <button type="submit" className="button button-primary" disabled={!id.trim()} data-testid="prediction-lookup-submit">
        Explain
      </button>
    </form>
  );
}

export function PredictionLookupPage() {
  return (
    <>
      <PageTitle sub="Why a deployment answered what it did: each feature's share of one logged prediction">Explain a prediction</PageTitle>
      <LookupForm />
      <Empty title="Paste the id of a prediction to see its explanation." testId="prediction-lookup-empty">
        <p>
          Every answer of a deployment carries ids for its rows. Send a row with “Try it” on a <Link to="/deployments">deployment</Link>&apos;s page to get one, or press “Explain” there to see a
          row&apos;s explanation at once.
        </p>
      </Empty>
    </>
  );
}

export function PredictionPage({ id }: { id: string }) {
  const { project } = useSession();
  const explanation = useApi((signal) => explainApi.prediction(project, id, signal), [project, id]);
  const e = explanation.data;
  const notFound = explanation.error instanceof ApiError && explanation.error.status === 404;
  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/predictions">Predictions</Link> <span aria-hidden="true">/</span> <span aria-current="page">{id}</span>
      </nav>
      <PageTitle
        sub={
          e ? (
            <span>
              Served by <Link to={path('deployments', e.deployment)}>{e.deployment}</Link> at {formatTime(e.time)} with{' '}
              <Link to={path('models', e.model.name, 'versions', e.model.version)}>
                {e.model.name} v{e.model.version}
              </Link>
            </span>
          ) : undefined
        }
      >
        Explanation of a prediction
      </PageTitle>
      <p className="muted small">
        Prediction <code data-testid="prediction-id">{id}</code>
      </p>
      <ErrorNote error={explanation.error} context="Could not explain the prediction" onRetry={notFound ? undefined : explanation.reload}>
        {notFound && <p>Check the id, and that the project chosen at the top ({project}) is the deployment&apos;s. Predictions are explained from the rows the prediction log keeps.</p>}
      </ErrorNote>
      {!e && !explanation.error && <Loading what="Explaining the prediction" />}
      {e && <ExplanationView explanation={e} />}
      <details className="explain-more">
        <summary>Explain another prediction</summary>
        <LookupForm />
      </details>
    </>
  );
}
