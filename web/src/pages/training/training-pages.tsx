/**
 * Training pages: the project's training jobs; a form to launch one (dataset version, target, algorithm,
 * main parameters, an optional random search, validation, time budget); and a job's page, which follows it
 * (progress, cancel), draws its learning curves from the run's metric histories, compares a search's
 * trials, shows the best trial's feature importance, and registers the result. Every chart has its table.
 */
import { useMemo, useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import { Chart, type ChartOption } from '../../components/chart';
import { TableWrap } from '../../components/table';
import { Badge, Empty, ErrorNote, KeyValues, Loading, PageTitle, Section, Success } from '../../components/ui';
import { formatNumber, formatTime } from '../../lib/format';
import { Link, navigate, path } from '../../lib/router';
import { useRole, useSession } from '../../lib/session';
import { useApi } from '../../lib/use-api';
import { StepLineChart, StepTable, type StepSeries } from '../tracking/metric-charts';
import { trackingApi } from '../tracking/tracking-api';
import type { MetricPoint } from '../tracking/types';
import { curveMetrics, ENDED, maximized, trainingApi, type Registered, type TrainingJob, type TrialView } from './training-api';

function StatusBadge({ status }: { status: TrainingJob['status'] }) {
  const tone = status === 'succeeded' ? 'good' : status === 'failed' ? 'bad' : status === 'cancelled' ? 'neutral' : 'info';
  return <Badge tone={tone}>{status}</Badge>;
}

const bestOf = (job: TrainingJob): TrialView | undefined => (job.result && job.result.best !== null ? job.result.trials[job.result.best] : undefined);

function validationText(v: TrainingJob['validation']): string {
  if (v.kind === 'holdout') return `hold out ${formatNumber(v.fraction * 100)}% (seed ${v.seed})`;
  if (v.kind === 'kfold') return `${v.folds}-fold cross-validation (seed ${v.seed})`;
  return `dataset ${v.dataset.name} v${v.dataset.version}`;
}

function scoreText(job: TrainingJob): string {
  const best = bestOf(job);
  return best && best.score !== null ? `${job.metric} ${formatNumber(best.score)}` : '—';
}

export function TrainingJobsPage() {
  const { project } = useSession();
  const canWrite = useRole().can('contributor');
  const list = useApi((signal) => trainingApi.list(project, signal), [project], { pollMs: 5000 });
  const items = list.data?.items ?? [];
  const newButton = canWrite && (
    <Link to="/training/new" className="button button-primary" data-testid="new-training">
      New training
    </Link>
  );
  return (
    <>
      <PageTitle sub={`Models trained by Steward in project ${project}: each training is a tracked run`} actions={newButton}>
        Training
      </PageTitle>
      <ErrorNote error={list.error} context="Could not load the training jobs" onRetry={list.reload} />
      {list.loading && !list.data && <Loading what="Loading training jobs" />}
      {list.data && items.length === 0 && (
        <Empty title="No training yet." testId="training-empty">
          <p>Train gradient-boosted trees or a linear model on a dataset version{canWrite ? ' with the button above' : ''}, or from the CLI: <code>steward train --dataset name@1 --target column</code>.</p>
        </Empty>
      )}
      {items.length > 0 && (
        <TableWrap>
          <table className="table" data-testid="training-table">
            <caption className="visually-hidden">Training jobs in project {project}</caption>
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col">Status</th>
                <th scope="col">Dataset</th>
                <th scope="col">Target</th>
                <th scope="col">Algorithm</th>
                <th scope="col">Best</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {items.map((j) => (
                <tr key={j.id} data-testid="training-row">
                  <th scope="row">
                    <Link to={path('training', j.id)}>{j.id.slice(-8)}</Link>
                  </th>
                  <td>
                    <StatusBadge status={j.status} />
                    {j.result?.stoppedBy === 'time budget' && <Badge tone="warn">time budget</Badge>}
                  </td>
                  <td>
                    {j.dataset.name} v{j.dataset.version}
                  </td>
                  <td>
                    {j.target} <span className="muted">({j.task})</span>
                  </td>
                  <td>
                    {j.algorithm}
                    {j.search ? <span className="muted"> · {j.search.method} search</span> : null}
                  </td>
                  <td className="num">{scoreText(j)}</td>
                  <td className="nowrap">
                    {formatTime(j.createdAt)} <span className="muted">by {j.createdBy}</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </>
  );
}

// ---- launching ----

const GBDT_FIELDS: { name: string; label: string; def: string; hint: string }[] = [
  { name: 'numRounds', label: 'Rounds (trees)', def: '200', hint: '1–10000' },
  { name: 'learningRate', label: 'Learning rate', def: '0.1', hint: '(0, 1]' },
  { name: 'maxDepth', label: 'Max depth', def: '6', hint: '1–16' },
  { name: 'earlyStoppingRounds', label: 'Early stopping rounds', def: '20', hint: '0 = off' },
];
const LINEAR_FIELDS = {
  classification: [{ name: 'C', label: 'C (inverse L2 strength)', def: '1', hint: '> 0' }],
  regression: [
    { name: 'alpha', label: 'Alpha (penalty)', def: '1', hint: '≥ 0' },
    { name: 'l1Ratio', label: 'L1 ratio', def: '0', hint: '0 ridge … 1 lasso' },
  ],
};

export function NewTrainingPage() {
  const { project } = useSession();
  const datasets = useApi((signal) => api.get('/api/v1/datasets', { query: { project, limit: 1000 }, signal }), [project]);
  const names = (datasets.data?.items ?? []).map((d) => d.name);
  const [datasetChoice, setDataset] = useState('');
  const dataset = datasetChoice || names[0] || '';
  const versions = useApi((signal) => api.get('/api/v1/datasets/{name}/versions', { path: { name: dataset }, query: { project, limit: 100 }, signal }), [project, dataset], { enabled: dataset !== '' });
  const versionItems = versions.data?.items ?? [];
  const [versionChoice, setVersion] = useState('');
  const version = versionItems.some((v) => String(v.version) === versionChoice) ? versionChoice : versionItems[0] ? String(versionItems[0].version) : '';
  const columns = versionItems.find((v) => String(v.version) === version)?.columns ?? [];
  const [targetChoice, setTarget] = useState('');
  const target = columns.some((c) => c.name === targetChoice) ? targetChoice : (columns.at(-1)?.name ?? '');
  const [task, setTask] = useState('');
  const [algorithm, setAlgorithm] = useState<'gbdt' | 'linear'>('gbdt');
  const [params, setParams] = useState<Record<string, string>>({});
  const [trials, setTrials] = useState('0');
  const [validation, setValidation] = useState<'holdout' | 'kfold'>('holdout');
  const [fraction, setFraction] = useState('0.2');
  const [folds, setFolds] = useState('5');
  const [budget, setBudget] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();

  const targetType = columns.find((c) => c.name === target)?.type;
  const regression = task === 'regression' || (task === '' && (targetType === 'numeric' || targetType === 'integer'));
  const fields = algorithm === 'gbdt' ? GBDT_FIELDS : regression ? LINEAR_FIELDS.regression : LINEAR_FIELDS.classification;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    const p: Record<string, number> = {};
    for (const f of fields) {
      const text = (params[`${algorithm}.${f.name}`] ?? '').trim();
      if (text === '') continue;
      const n = Number(text);
      if (!Number.isFinite(n)) {
        setError(new Error(`${f.label} must be a number.`));
        return;
      }
      p[f.name] = n;
    }
    const n = Number(trials);
    const body: Record<string, unknown> = {
      dataset: `${dataset}@${version}`,
      target,
      algorithm,
      ...(task ? { task } : {}),
      ...(Object.keys(p).length ? { params: p } : {}),
      ...(Number.isInteger(n) && n > 0 ? { search: { trials: n } } : {}),
      validation: validation === 'kfold' ? { folds: Number(folds) } : { fraction: Number(fraction) },
      ...(budget.trim() ? { timeBudgetSeconds: Number(budget) } : {}),
    };
    setBusy(true);
    try {
      const job = await trainingApi.submit(project, body);
      navigate(path('training', job.id));
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <>
      <PageTitle sub="A background job; every trial is a tracked run, and the best can be registered">New training</PageTitle>
      <ErrorNote error={datasets.error} context="Could not load the datasets" onRetry={datasets.reload} />
      {datasets.data && names.length === 0 && (
        <Empty title="No datasets yet.">
          <p>
            <Link to="/datasets/upload">Upload a dataset</Link> first.
          </p>
        </Empty>
      )}
      {names.length > 0 && (
        <form className="card form" onSubmit={(e) => void submit(e)} aria-label="Train a model" data-testid="training-form">
          <div className="form-row">
            <label className="field">
              <span className="field-label">Dataset</span>
              <select value={dataset} onChange={(e) => setDataset(e.target.value)} data-testid="training-dataset">
                {names.map((d) => (
                  <option key={d}>{d}</option>
                ))}
              </select>
            </label>
            <label className="field">
              <span className="field-label">Version</span>
              <select value={version} onChange={(e) => setVersion(e.target.value)} data-testid="training-version">
                {versionItems.map((v) => (
                  <option key={v.version} value={String(v.version)}>
                    v{v.version}
                  </option>
                ))}
              </select>
            </label>
            <label className="field">
              <span className="field-label">Target column</span>
              <select value={target} onChange={(e) => setTarget(e.target.value)} data-testid="training-target">
                {columns.map((c) => (
                  <option key={c.name} value={c.name}>
                    {c.name} ({c.type})
                  </option>
                ))}
              </select>
            </label>
            <label className="field">
              <span className="field-label">Task</span>
              <select value={task} onChange={(e) => setTask(e.target.value)} data-testid="training-task">
                <option value="">from the target</option>
                <option value="binary">binary</option>
                <option value="multiclass">multiclass</option>
                <option value="regression">regression</option>
              </select>
            </label>
          </div>
          <fieldset className="form-row">
            <legend>Algorithm</legend>
            {(['gbdt', 'linear'] as const).map((a) => (
              <label key={a} className="field field-inline">
                <input type="radio" name="algorithm" value={a} checked={algorithm === a} onChange={() => setAlgorithm(a)} data-testid={`training-algo-${a}`} />
                <span>{a === 'gbdt' ? 'Gradient-boosted trees' : 'Linear / logistic regression'}</span>
              </label>
            ))}
          </fieldset>
          <div className="form-row">
            {fields.map((f) => (
              <label key={`${algorithm}.${f.name}`} className="field">
                <span className="field-label">
                  {f.label} <span className="muted small">{f.hint}</span>
                </span>
                <input
                  inputMode="decimal"
                  placeholder={f.def}
                  value={params[`${algorithm}.${f.name}`] ?? ''}
                  onChange={(e) => setParams((ps) => ({ ...ps, [`${algorithm}.${f.name}`]: e.target.value }))}
                  data-testid={`training-param-${f.name}`}
                />
              </label>
            ))}
          </div>
          <div className="form-row">
            <label className="field">
              <span className="field-label">
                Random search trials <span className="muted small">0 = train once</span>
              </span>
              <input inputMode="numeric" value={trials} onChange={(e) => setTrials(e.target.value)} data-testid="training-trials" />
            </label>
            <label className="field">
              <span className="field-label">Validation</span>
              <select value={validation} onChange={(e) => setValidation(e.target.value as 'holdout' | 'kfold')} data-testid="training-validation">
                <option value="holdout">hold out a fraction</option>
                <option value="kfold">k-fold cross-validation</option>
              </select>
            </label>
            {validation === 'holdout' ? (
              <label className="field">
                <span className="field-label">Fraction held out</span>
                <input inputMode="decimal" value={fraction} onChange={(e) => setFraction(e.target.value)} data-testid="training-fraction" />
              </label>
            ) : (
              <label className="field">
                <span className="field-label">Folds</span>
                <input inputMode="numeric" value={folds} onChange={(e) => setFolds(e.target.value)} data-testid="training-folds" />
              </label>
            )}
            <label className="field">
              <span className="field-label">
                Time budget (s) <span className="muted small">optional</span>
              </span>
              <input inputMode="numeric" value={budget} onChange={(e) => setBudget(e.target.value)} data-testid="training-budget" />
            </label>
          </div>
          <div className="actions">
            <button type="submit" className="button button-primary" disabled={busy || !dataset || !version || !target} data-testid="training-submit">
              {busy ? 'Starting…' : 'Train'}
            </button>
          </div>
          <ErrorNote error={error} context="The training was not started" />
        </form>
      )}
    </>
  );
}

// ---- one job ----

function useHistories(runId: string | undefined, keys: string[], live: boolean) {
  const { project } = useSession();
  return useApi(
    async (signal) => {
      const out: Record<string, MetricPoint[]> = {};
      for (const key of keys) {
        try {
          out[key] = (await trackingApi.metricHistory(project, runId!, key, signal)).points;
        } catch {
          out[key] = [];
        }
      }
      return out;
    },
    [project, runId, keys.join(',')],
    { enabled: runId !== undefined, ...(live ? { pollMs: 2000 } : {}) },
  );
}

function LearningCurves({ job, trial, live }: { job: TrainingJob; trial: TrialView; live: boolean }) {
  const cv = job.validation.kind === 'kfold';
  const metrics = curveMetrics(job);
  const keys = metrics.flatMap((m) => (cv ? [`cv_valid_${m}`, `train_${m}`] : [`valid_${m}`, `train_${m}`]));
  const histories = useHistories(trial.runId, keys, live);
  const h = histories.data;
  return (
    <Section title={`Learning curves of trial ${trial.index + 1}`} testId="training-curves">
      <ErrorNote error={histories.error} context="Could not load the metric histories" />
      {!h && <Loading what="Loading the curves" />}
      {h &&
        metrics.map((m) => {
          const series: StepSeries[] = [
            { id: 'train', name: cv ? 'train (refit on every row)' : 'train', points: h[`train_${m}`] },
            { id: 'valid', name: cv ? 'validation (mean over the folds)' : 'validation', points: h[cv ? `cv_valid_${m}` : `valid_${m}`] },
          ].filter((s) => (s.points?.length ?? 0) > 0);
          if (series.length === 0) return null;
          return (
            <div key={m} className="chart-block">
              <StepLineChart metric={m} series={series} label={`${m} per round, training and validation`} testId={`training-curve-${m}`} />
              <details>
                <summary>{m} per round as a table</summary>
                <StepTable metric={m} series={series} testId={`training-curve-table-${m}`} />
              </details>
            </div>
          );
        })}
    </Section>
  );
}

function importanceOption(trial: TrialView, algorithm: string): ChartOption {
  const top = trial.importance.slice(0, 20).reverse();
  return {
    grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
    xAxis: { type: 'value', name: algorithm === 'gbdt' ? 'total gain' : '|standardized coefficient|' },
    yAxis: { type: 'category', data: top.map((f) => f.feature) },
    tooltip: { trigger: 'axis' },
    series: [{ type: 'bar', data: top.map((f) => f.gain) }],
  };
}

function Importance({ job, trial }: { job: TrainingJob; trial: TrialView }) {
  const option = useMemo(() => importanceOption(trial, job.algorithm), [trial, job.algorithm]);
  if (trial.importance.length === 0) return null;
  return (
    <Section title={`Feature importance of trial ${trial.index + 1}`} testId="training-importance">
      <Chart option={option} label={`Feature importance (${job.algorithm === 'gbdt' ? 'total gain' : '|standardized coefficient|'}), top 20`} testId="training-importance-chart" height={Math.max(160, 24 * Math.min(20, trial.importance.length) + 40)} />
      <TableWrap>
        <table className="table table-compact" data-testid="training-importance-table">
          <caption className="visually-hidden">Feature importance</caption>
          <thead>
            <tr>
              <th scope="col">Feature</th>
              <th scope="col" className="num">
                {job.algorithm === 'gbdt' ? 'Total gain' : '|Coefficient| (standardized)'}
              </th>
              {job.algorithm === 'gbdt' && (
                <th scope="col" className="num">
                  Splits
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {trial.importance.map((f) => (
              <tr key={f.feature}>
                <th scope="row">{f.feature}</th>
                <td className="num">{formatNumber(f.gain)}</td>
                {job.algorithm === 'gbdt' && <td className="num">{f.splits ?? ''}</td>}
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
    </Section>
  );
}

function Trials({ job }: { job: TrainingJob }) {
  const trials = job.result?.trials ?? [];
  const varying = useMemo(() => {
    const keys = new Set<string>();
    for (const t of trials) for (const [k, v] of Object.entries(t.params)) if (trials.some((o) => o.params[k] !== v)) keys.add(k);
    return [...keys].sort();
  }, [trials]);
  const option = useMemo<ChartOption>(
    () => ({
      grid: { left: 8, right: 16, top: 12, bottom: 8, containLabel: true },
      xAxis: { type: 'category', name: 'trial', data: trials.map((t) => String(t.index + 1)) },
      yAxis: { type: 'value', name: job.metric, scale: true },
      tooltip: { trigger: 'axis' },
      series: [{ type: 'bar', data: trials.map((t) => (t.score === null ? null : { value: t.score, itemStyle: t.index === job.result?.best ? { color: '#0f766e' } : undefined })) }],
    }),
    [trials, job.metric, job.result?.best],
  );
  if (trials.length < 2) return null;
  return (
    <Section title={`Trials (${trials.length} of ${job.result?.plannedTrials ?? trials.length})`} testId="training-trials">
      <Chart option={option} label={`Validation ${job.metric} by trial (${maximized(job.metric) ? 'higher' : 'lower'} is better; the best in green)`} testId="training-trials-chart" />
      <TableWrap>
        <table className="table table-compact" data-testid="training-trials-table">
          <caption className="visually-hidden">Trials</caption>
          <thead>
            <tr>
              <th scope="col">Trial</th>
              <th scope="col">Status</th>
              {varying.map((k) => (
                <th scope="col" key={k} className="num">
                  {k}
                </th>
              ))}
              <th scope="col" className="num">
                {job.metric}
              </th>
              <th scope="col" className="num">
                Rounds
              </th>
              <th scope="col" className="num">
                Seconds
              </th>
              <th scope="col">Run</th>
            </tr>
          </thead>
          <tbody>
            {trials.map((t) => (
              <tr key={t.index} className={t.index === job.result?.best ? 'row-highlight' : undefined} data-testid={t.index === job.result?.best ? 'training-best-trial' : undefined}>
                <th scope="row">
                  {t.index + 1}
                  {t.index === job.result?.best && (
                    <>
                      {' '}
                      <Badge tone="good">best</Badge>
                    </>
                  )}
                </th>
                <td>{t.status}</td>
                {varying.map((k) => (
                  <td key={k} className="num">
                    {formatNumber(t.params[k])}
                  </td>
                ))}
                <td className="num">{t.score === null ? '—' : formatNumber(t.score)}</td>
                <td className="num">{t.rounds}</td>
                <td className="num">{formatNumber(t.durationMs / 1000)}</td>
                <td>
                  <Link to={path('runs', t.runId)}>{t.runId.slice(0, 8)}</Link>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
    </Section>
  );
}

function RegisterForm({ job, onRegistered }: { job: TrainingJob; onRegistered: () => void }) {
  const best = bestOf(job);
  const [model, setModel] = useState(`${job.dataset.name}-${job.algorithm}`.replace(/[^A-Za-z0-9._-]/g, '-'));
  const [trial, setTrial] = useState(best ? String(best.index) : '');
  const [format, setFormat] = useState(job.algorithm === 'gbdt' ? 'xgboost-json' : 'onnx');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState<Registered>();
  const withModels = (job.result?.trials ?? []).filter((t) => t.modelPath);
  if (!best) return null;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      setDone(await trainingApi.register(job.id, { model: model.trim(), trial: Number(trial), format }));
      onRegistered();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Section title="Register" testId="training-register">
      <form className="form form-inline" onSubmit={(e) => void submit(e)} aria-label="Register the trained model">
        <label className="field">
          <span className="field-label">Model name</span>
          <input value={model} onChange={(e) => setModel(e.target.value)} required data-testid="training-register-model" />
        </label>
        <label className="field">
          <span className="field-label">Trial</span>
          <select value={trial} onChange={(e) => setTrial(e.target.value)} data-testid="training-register-trial">
            {withModels.map((t) => (
              <option key={t.index} value={String(t.index)}>
                {t.index + 1}
                {t.index === best.index ? ' (best)' : ''} — {job.metric} {t.score === null ? '—' : formatNumber(t.score)}
              </option>
            ))}
          </select>
        </label>
        {job.algorithm === 'gbdt' && (
          <label className="field">
            <span className="field-label">Format</span>
            <select value={format} onChange={(e) => setFormat(e.target.value)} data-testid="training-register-format">
              <option value="xgboost-json">trees (native evaluator, TreeSHAP)</option>
              <option value="onnx">ONNX</option>
            </select>
          </label>
        )}
        <div className="actions">
          <button type="submit" className="button button-primary" disabled={busy || !model.trim()} data-testid="training-register-submit">
            {busy ? 'Registering…' : 'Register'}
          </button>
        </div>
      </form>
      <ErrorNote error={error} context="Nothing was registered" />
      {done && (
        <Success>
          <span data-testid="training-registered">
            Registered <Link to={path('models', done.version.model ?? done.version.name ?? model.trim(), 'versions', done.version.version)}>{`${done.version.model ?? done.version.name ?? model.trim()} version ${done.version.version}`}</Link> ({done.format}
            {done.modelCreated ? ', a new model' : ''}); the ONNX export matched the native predictions within {done.onnx.maxAbsDiff.toExponential(1)} on {done.onnx.rowsCompared} rows
            {'jobId' in done.reference ? '; its monitoring reference is being profiled' : `; no reference: ${done.reference.error}`}.
          </span>
        </Success>
      )}
    </Section>
  );
}

export function TrainingJobPage({ id }: { id: string }) {
  const canWrite = useRole().can('contributor');
  const [live, setLive] = useState(true);
  const loaded = useApi((signal) => trainingApi.get(id, signal), [id], live ? { pollMs: 1000 } : {});
  const job = loaded.data;
  const [cancelError, setCancelError] = useState<unknown>();
  if (job && ENDED.includes(job.status) && live) setLive(false);
  if (!job) {
    return (
      <>
        <PageTitle>Training</PageTitle>
        <ErrorNote error={loaded.error} context="Could not load the training job" onRetry={loaded.reload} />
        {loaded.loading && <Loading what="Loading the training job" />}
      </>
    );
  }
  const res = job.result;
  const best = bestOf(job);
  const current = best ?? res?.trials.at(-1);
  const running = job.status === 'running' || job.status === 'queued';
  const cancel = () => {
    setCancelError(undefined);
    trainingApi.cancel(job.id).then(loaded.reload, setCancelError);
  };
  return (
    <>
      <PageTitle
        sub={`${job.algorithm === 'gbdt' ? 'Gradient-boosted trees' : 'Linear model'} predicting ${job.target} (${job.task}) from ${job.dataset.name} v${job.dataset.version}`}
        actions={
          running && canWrite ? (
            <button type="button" className="button" onClick={cancel} disabled={job.cancelRequested} data-testid="training-cancel">
              {job.cancelRequested ? 'Cancelling…' : 'Cancel'}
            </button>
          ) : undefined
        }
      >
        Training {job.id.slice(-8)} <StatusBadge status={job.status} />
      </PageTitle>
      <ErrorNote error={cancelError} context="The training was not cancelled" />
      {running && (
        <div className="card" data-testid="training-progress">
          <progress max={1} value={job.progress?.fraction ?? undefined} aria-label="Training progress" /> <span className="muted">{job.progress?.message ?? 'waiting for a worker'}</span>
        </div>
      )}
      {job.status === 'failed' && (
        <div className="note note-error" role="alert" data-testid="training-failed">
          <p className="note-title">The training failed.</p>
          <p>{job.error ?? 'No reason was given.'}</p>
        </div>
      )}
      {res?.stoppedBy === 'time budget' && (
        <div className="note" data-testid="training-budget-note">
          <p>The time budget ran out: the training stopped and kept its best model so far{best?.note ? ` (${best.note})` : ''}.</p>
        </div>
      )}
      <Section title="Summary">
        <KeyValues
          items={[
            ['Status', <span key="s" data-testid="training-status">{job.status}</span>],
            ['Best', <span key="b" data-testid="training-best">{scoreText(job)}</span>],
            ['Metric', `${job.metric} (${maximized(job.metric) ? 'higher' : 'lower'} is better)`],
            ['Features', `${job.features.length}${job.skipped.length ? ` (left out: ${job.skipped.map((s) => `${s.column} (${s.type})`).join(', ')})` : ''}`],
            ['Classes', job.classes.length ? job.classes.join(', ') : '—'],
            ['Rows', res ? `${res.rows.total.toLocaleString('en-US')} (train ${res.rows.train.toLocaleString('en-US')}, validation ${res.rows.validation.toLocaleString('en-US')})` : '—'],
            ['Validation', validationText(job.validation)],
            ['Parameters', Object.keys(job.params).length ? Object.entries(job.params).map(([k, v]) => `${k}=${v}`).join(', ') : 'defaults'],
            ['Search', job.search ? `${job.search.method}, ${job.search.trials} trials` : '—'],
            ['Time budget', job.timeBudgetSeconds === null ? '—' : `${job.timeBudgetSeconds} s`],
            ['Run', job.runId ? <Link key="r" to={path('runs', job.runId)}>{job.runId.slice(0, 8)}</Link> : '—'],
            ['Created', `${formatTime(job.createdAt)} by ${job.createdBy}`],
          ]}
        />
      </Section>
      {current && <LearningCurves job={job} trial={current} live={running} />}
      <Trials job={job} />
      {best && <Importance job={job} trial={best} />}
      {canWrite && (job.status === 'succeeded' || job.status === 'cancelled') && <RegisterForm job={job} onRegistered={loaded.reload} />}
      {res && res.registered.length > 0 && (
        <Section title="Registered versions" testId="training-registered-list">
          <ul>
            {res.registered.map((r) => (
              <li key={`${r.model}-${r.version}`}>
                <Link to={path('models', r.model, 'versions', r.version)}>{`${r.model} version ${r.version}`}</Link> <span className="muted">(trial {r.trial + 1}, {formatTime(r.at)} by {r.by})</span>
              </li>
            ))}
          </ul>
        </Section>
      )}
    </>
  );
}
