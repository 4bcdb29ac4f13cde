import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { api, ApiError, buildUrl, uploadForm, type UploadProgress } from '../../api/client';
import type { ModelVersion } from '../../api/types';
import { formatBytes } from '../../lib/format';
import { Link, navigate, path, useLocation } from '../../lib/router';
import { useRole, useSession } from '../../lib/session';
import { useApi, useDebounced } from '../../lib/use-api';
import { flavorFromFileName, nameProblem, parseMetrics } from '../../lib/upload';
import { ErrorNote, PageTitle, UploadActions } from '../../components/ui';

type Flavor = 'onnx' | 'xgboost-json';
type Field = 'name' | 'file' | 'metrics';

const FLAVORS: { value: Flavor; label: string }[] = [
  { value: 'onnx', label: 'ONNX (.onnx)' },
  { value: 'xgboost-json', label: 'XGBoost JSON (.json)' },
];

/** The model, created first when there is none of that name. Returns whether it was created. */
async function ensureModel(project: string, name: string, description: string, signal: AbortSignal): Promise<boolean> {
  try {
    await api.get('/api/v1/models/{name}', { path: { name }, query: { project }, signal });
    return false;
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 404)) throw err;
  }
  try {
    await api.post('/api/v1/models', { body: { name, project, ...(description ? { description } : {}) }, signal });
    return true;
  } catch (err) {
    // Created meanwhile by someone else: register the version on it all the same.
    if (err instanceof ApiError && err.status === 409) return false;
    throw err;
  }
}

/** "houses has 3 versions: this will be version 4" or "it will be created", while the name is typed. */
function useNameHint(project: string, name: string): string | null {
  const settled = useDebounced(name, 300);
  const valid = settled !== '' && nameProblem(settled, 'model') === null;
  const model = useApi(
    async (signal) => {
      try {
        return await api.get('/api/v1/models/{name}', { path: { name: settled }, query: { project }, signal });
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) return null;
        throw err;
      }
    },
    [project, settled],
    { enabled: valid },
  );
  if (!valid || settled !== name || model.data === undefined) return null;
  if (model.data === null) return `There is no model named ${name} in project ${project} yet: it will be created, with this file as version 1.`;
  return `${name} exists: this file will be version ${model.data.lastVersion + 1}.`;
}

export function RegisterModelPage() {
  const { project } = useSession();
  const { role, can } = useRole();
  const location = useLocation();
  const prefilled = location.search.get('name') ?? '';
  const [name, setName] = useState(prefilled);
  const [flavor, setFlavor] = useState<Flavor>('onnx');
  const [flavorChosen, setFlavorChosen] = useState(false);
  const [file, setFile] = useState<File | null>(null);
  const [description, setDescription] = useState('');
  const [metricsText, setMetricsText] = useState('');
  const [problem, setProblem] = useState<{ field: Field; message: string } | null>(null);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState<null | 'preparing' | 'uploading'>(null);
  const [progress, setProgress] = useState<UploadProgress | null>(null);
  const [cancelled, setCancelled] = useState(false);
  const abortRef = useRef<AbortController | null>(null);
  const fieldRefs = { name: useRef<HTMLInputElement>(null), file: useRef<HTMLInputElement>(null), metrics: useRef<HTMLTextAreaElement>(null) };
  const id = useId();
  const canWrite = can('contributor');
  const trimmed = name.trim();
  const hint = useNameHint(project, trimmed);

  useEffect(() => () => abortRef.current?.abort(), []);

  const invalid = (field: Field) => (problem?.field === field ? true : undefined);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    setError(undefined);
    setCancelled(false);
    const parsed = parseMetrics(metricsText);
    const found: { field: Field; message: string } | null = nameProblem(trimmed, 'model')
      ? { field: 'name', message: nameProblem(trimmed, 'model')! }
      : !file
        ? { field: 'file', message: 'Choose the model file to upload.' }
        : file.size === 0
          ? { field: 'file', message: `${file.name} is empty.` }
          : 'problem' in parsed
            ? { field: 'metrics', message: parsed.problem }
            : null;
    setProblem(found);
    if (found || !file || 'problem' in parsed) {
      if (found) fieldRefs[found.field].current?.focus();
      return;
    }

    const controller = new AbortController();
    abortRef.current = controller;
    setBusy('preparing');
    try {
      await ensureModel(project, trimmed, description.trim(), controller.signal);
      const form = new FormData();
      // The metadata goes first, so that the server checks it before the file arrives.
      form.append('metadata', JSON.stringify({ flavor, description: description.trim(), metrics: parsed.metrics }));
      form.append('artifact', file, file.name);
      setBusy('uploading');
      setProgress({ loaded: 0, total: file.size, sent: false });
      const { body } = await uploadForm<ModelVersion>(buildUrl('/api/v1/models/{name}/versions', { name: trimmed }, { project }), form, { onProgress: setProgress, signal: controller.signal });
      navigate(path('models', trimmed, 'versions', body.version));
    } catch (err) {
      if (err instanceof DOMException && err.name === 'AbortError') setCancelled(true);
      else setError(err);
      setBusy(null);
      setProgress(null);
    }
  };

  const failedVersion = error instanceof ApiError && error.status === 422 && typeof error.details.version === 'number' ? error.details.version : null;
  const back = prefilled ? path('models', prefilled) : '/models';

  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/models">Models</Link> <span aria-hidden="true">/</span>{' '}
        {prefilled && (
          <>
            <Link to={path('models', prefilled)}>{prefilled}</Link> <span aria-hidden="true">/</span>{' '}
          </>
        )}
        <span aria-current="page">register</span>
      </nav>
      <PageTitle sub={`In project ${project}. The file is loaded once by the runtime before the version is accepted.`}>{prefilled ? `Register a new version of ${prefilled}` : 'Register a model'}</PageTitle>
      {!canWrite && <p className="note note-warn">Your role in project {project} ({role ?? 'none'}) can read models but not register them; a contributor can.</p>}
      <form className="upload-form" onSubmit={(e) => void submit(e)} aria-label="Register a model version" data-testid="register-form" noValidate>
        <fieldset className="fieldset" disabled={!canWrite || busy !== null}>
          <legend>Model</legend>
          <label className="field">
            <span className="field-label">Model name</span>
            <input
              ref={fieldRefs.name}
              value={name}
              onChange={(e) => setName(e.target.value)}
              placeholder="house-prices"
              maxLength={128}
              autoComplete="off"
              spellCheck={false}
              required
              aria-invalid={invalid('name')}
              aria-describedby={`${id}-name-help`}
              data-testid="register-name"
            />
            <span className="field-help" id={`${id}-name-help`} aria-live="polite">
              {hint ?? "Letters, digits, '-', '_' and '.'. A model that does not exist yet is created."}
            </span>
          </label>
          <label className="field">
            <span className="field-label">Flavor</span>
            <select
              value={flavor}
              onChange={(e) => {
                setFlavor(e.target.value as Flavor);
                setFlavorChosen(true);
              }}
              data-testid="register-flavor"
            >
              {FLAVORS.map((f) => (
                <option key={f.value} value={f.value}>
                  {f.label}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span className="field-label">Model file</span>
            <input
              ref={fieldRefs.file}
              type="file"
              accept=".onnx,.json,application/json"
              onChange={(e) => {
                const f = e.target.files?.[0] ?? null;
                setFile(f);
                const guess = f ? flavorFromFileName(f.name) : null;
                if (guess && !flavorChosen) setFlavor(guess);
              }}
              required
              aria-invalid={invalid('file')}
              aria-describedby={`${id}-file-help`}
              data-testid="register-file"
            />
            <span className="field-help" id={`${id}-file-help`}>
              {file ? `${file.name}, ${formatBytes(file.size)}` : 'An ONNX model, or an XGBoost model saved as JSON.'}
            </span>
          </label>
        </fieldset>
        <fieldset className="fieldset" disabled={!canWrite || busy !== null}>
          <legend>About this version (optional)</legend>
          <label className="field">
            <span className="field-label">Description</span>
            <textarea
              value={description}
              onChange={(e) => setDescription(e.target.value)}
              rows={2}
              maxLength={10_000}
              placeholder="What changed: data, features, training settings"
              aria-describedby={`${id}-description-help`}
              data-testid="register-description"
            />
            <span className="field-help" id={`${id}-description-help`}>
              Kept with the version (and with the model, when it is created now).
            </span>
          </label>
          <label className="field">
            <span className="field-label">Metrics</span>
            <textarea
              ref={fieldRefs.metrics}
              value={metricsText}
              onChange={(e) => setMetricsText(e.target.value)}
              rows={3}
              className="code-input"
              spellCheck={false}
              placeholder={'rmse=0.42\nr2=0.91'}
              aria-invalid={invalid('metrics')}
              aria-describedby={`${id}-metrics-help`}
              data-testid="register-metrics"
            />
            <span className="field-help" id={`${id}-metrics-help`}>
              One name=value per line; values are numbers. They are shown with the versions and compared side by side.
            </span>
          </label>
        </fieldset>

        {problem && (
          <div className="note note-error" role="alert" data-testid="error">
            <p className="note-title">Check the form</p>
            <p>{problem.message}</p>
          </div>
        )}
        {failedVersion !== null ? (
          <ErrorNote error={error} title="The model did not load">
            <p>
              The version is kept as FAILED with the loader&apos;s message: <Link to={path('models', trimmed, 'versions', failedVersion)}>see version {failedVersion}</Link>. Check the flavor and the file, then
              register it again.
            </p>
          </ErrorNote>
        ) : (
          <ErrorNote error={error} context="Not registered" />
        )}
        <UploadActions
          busy={busy}
          progress={progress}
          cancelled={cancelled}
          canWrite={canWrite}
          onCancel={() => abortRef.current?.abort()}
          back={back}
          testPrefix="register"
          labels={{ cancelled: 'The upload was cancelled; nothing was registered.', preparing: 'Checking the model name…', sent: 'Uploaded; the runtime is loading and checking the model…', submit: 'Register', submitting: 'Registering…' }}
        />
      </form>
    </>
  );
}
