import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { api, ApiError, buildUrl, uploadForm, type UploadProgress } from '../../api/client';
import type { DatasetVersion } from '../../api/types';
import { formatBytes } from '../../lib/format';
import { Link, navigate, path, useLocation } from '../../lib/router';
import { useRole, useSession } from '../../lib/session';
import { useApi, useDebounced } from '../../lib/use-api';
import { nameProblem } from '../../lib/upload';
import { ErrorNote, PageTitle, UploadActions } from '../../components/ui';

type Field = 'name' | 'file';

/** The dataset, created first when there is none of that name. */
async function ensureDataset(project: string, name: string, description: string, signal: AbortSignal): Promise<void> {
  try {
    await api.get('/api/v1/datasets/{name}', { path: { name }, query: { project }, signal });
    return;
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 404)) throw err;
  }
  try {
    await api.post('/api/v1/datasets', { body: { name, project, ...(description ? { description } : {}) }, signal });
  } catch (err) {
    // Created meanwhile by someone else: upload the version to it all the same.
    if (!(err instanceof ApiError && err.status === 409)) throw err;
  }
}

function useNameHint(project: string, name: string): string | null {
  const settled = useDebounced(name, 300);
  const valid = settled !== '' && nameProblem(settled, 'dataset') === null;
  const dataset = useApi(
    async (signal) => {
      try {
        return await api.get('/api/v1/datasets/{name}', { path: { name: settled }, query: { project }, signal });
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) return null;
        throw err;
      }
    },
    [project, settled],
    { enabled: valid },
  );
  if (!valid || settled !== name || dataset.data === undefined) return null;
  if (dataset.data === null) return `There is no dataset named ${name} in project ${project} yet: it will be created, with this file as version 1.`;
  return `${name} exists: this file will be version ${dataset.data.lastVersion + 1} (or the existing version, if the same file was uploaded before).`;
}

export function UploadDatasetPage() {
  const { project } = useSession();
  const { role, can } = useRole();
  const location = useLocation();
  const prefilled = location.search.get('name') ?? '';
  const [name, setName] = useState(prefilled);
  const [file, setFile] = useState<File | null>(null);
  const [description, setDescription] = useState('');
  const [problem, setProblem] = useState<{ field: Field; message: string } | null>(null);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState<null | 'preparing' | 'uploading'>(null);
  const [progress, setProgress] = useState<UploadProgress | null>(null);
  const [cancelled, setCancelled] = useState(false);
  const abortRef = useRef<AbortController | null>(null);
  const fieldRefs = { name: useRef<HTMLInputElement>(null), file: useRef<HTMLInputElement>(null) };
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
    const nameIssue = nameProblem(trimmed, 'dataset');
    const found: { field: Field; message: string } | null = nameIssue
      ? { field: 'name', message: nameIssue }
      : !file
        ? { field: 'file', message: 'Choose the CSV or Parquet file to upload.' }
        : file.size === 0
          ? { field: 'file', message: `${file.name} is empty.` }
          : null;
    setProblem(found);
    if (found || !file) {
      if (found) fieldRefs[found.field].current?.focus();
      return;
    }

    const controller = new AbortController();
    abortRef.current = controller;
    setBusy('preparing');
    try {
      await ensureDataset(project, trimmed, description.trim(), controller.signal);
      const form = new FormData();
      // The metadata goes first, so that the server checks it before the file arrives.
      form.append('metadata', JSON.stringify(description.trim() ? { description: description.trim() } : {}));
      form.append('file', file, file.name);
      setBusy('uploading');
      setProgress({ loaded: 0, total: file.size, sent: false });
      const { status, body } = await uploadForm<DatasetVersion>(buildUrl('/api/v1/datasets/{name}/versions', { name: trimmed }, { project }), form, { onProgress: setProgress, signal: controller.signal });
      // 200: the same content was uploaded before; its version is shown, with a note saying so.
      navigate(`${path('datasets', trimmed, 'versions', body.version)}${status === 200 ? '?existing=1' : ''}`);
    } catch (err) {
      if (err instanceof DOMException && err.name === 'AbortError') setCancelled(true);
      else setError(err);
      setBusy(null);
      setProgress(null);
    }
  };

  const back = prefilled ? path('datasets', prefilled) : '/datasets';

  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/datasets">Datasets</Link> <span aria-hidden="true">/</span>{' '}
        {prefilled && (
          <>
            <Link to={path('datasets', prefilled)}>{prefilled}</Link> <span aria-hidden="true">/</span>{' '}
          </>
        )}
        <span aria-current="page">upload</span>
      </nav>
      <PageTitle sub={`In project ${project}. Steward stores the file as a version, settles its schema and profiles it in the background.`}>
        {prefilled ? `Upload a new version of ${prefilled}` : 'Upload a dataset'}
      </PageTitle>
      {!canWrite && <p className="note note-warn">Your role in project {project} ({role ?? 'none'}) can read datasets but not upload them; a contributor can.</p>}
      <form className="upload-form" onSubmit={(e) => void submit(e)} aria-label="Upload a dataset version" data-testid="upload-form" noValidate>
        <fieldset className="fieldset" disabled={!canWrite || busy !== null}>
          <legend>Dataset</legend>
          <label className="field">
            <span className="field-label">Dataset name</span>
            <input
              ref={fieldRefs.name}
              value={name}
              onChange={(e) => setName(e.target.value)}
              placeholder="house-sales"
              maxLength={128}
              autoComplete="off"
              spellCheck={false}
              required
              aria-invalid={invalid('name')}
              aria-describedby={`${id}-name-help`}
              data-testid="upload-name"
            />
            <span className="field-help" id={`${id}-name-help`} aria-live="polite">
              {hint ?? "Letters, digits, '-', '_' and '.'. A dataset that does not exist yet is created."}
            </span>
          </label>
          <label className="field">
            <span className="field-label">Data file</span>
            <input
              ref={fieldRefs.file}
              type="file"
              accept=".csv,.tsv,.txt,.parquet,text/csv"
              onChange={(e) => setFile(e.target.files?.[0] ?? null)}
              required
              aria-invalid={invalid('file')}
              aria-describedby={`${id}-file-help`}
              data-testid="upload-file"
            />
            <span className="field-help" id={`${id}-file-help`}>
              {file ? `${file.name}, ${formatBytes(file.size)}` : 'CSV (UTF-8; the delimiter and header are detected) or Parquet.'}
            </span>
          </label>
          <label className="field">
            <span className="field-label">Description (optional)</span>
            <textarea
              value={description}
              onChange={(e) => setDescription(e.target.value)}
              rows={2}
              maxLength={10_000}
              placeholder="Where the data comes from, what period it covers"
              aria-describedby={`${id}-description-help`}
              data-testid="upload-description"
            />
            <span className="field-help" id={`${id}-description-help`}>
              Kept with the version (and with the dataset, when it is created now).
            </span>
          </label>
        </fieldset>

        {problem && (
          <div className="note note-error" role="alert" data-testid="error">
            <p className="note-title">Check the form</p>
            <p>{problem.message}</p>
          </div>
        )}
        {error instanceof ApiError && error.status === 422 ? <ErrorNote error={error} title="The file could not be read as a table" /> : <ErrorNote error={error} context="Not uploaded" />}
        <UploadActions
          busy={busy}
          progress={progress}
          cancelled={cancelled}
          canWrite={canWrite}
          onCancel={() => abortRef.current?.abort()}
          back={back}
          testPrefix="upload"
          labels={{ cancelled: 'The upload was cancelled; nothing was stored.', preparing: 'Checking the dataset name…', sent: 'Uploaded; reading the file and settling its schema…', submit: 'Upload', submitting: 'Uploading…' }}
        />
      </form>
    </>
  );
}
