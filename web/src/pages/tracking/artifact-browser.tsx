/** A run's artifacts: folders to open, files to download (with the token: a plain link would get a 401). */
import { useState } from 'react';
import { formatBytes } from '../../lib/format';
import { downloadFile } from '../../lib/download';
import { useSession } from '../../lib/session';
import { useApi } from '../../lib/use-api';
import { TableWrap } from '../../components/table';
import { ErrorNote, Loading } from '../../components/ui';
import { trackingApi } from './tracking-api';
import { entryPath } from './tracking-data';

const baseName = (p: string) => p.split('/').filter(Boolean).pop() ?? p;

export function ArtifactBrowser({ runId }: { runId: string }) {
  const { project } = useSession();
  const [dir, setDir] = useState('');
  const listing = useApi((signal) => trackingApi.artifacts(project, runId, dir, signal), [project, runId, dir]);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>();

  const download = async (file: string) => {
    setBusy(file);
    setError(undefined);
    try {
      await downloadFile(trackingApi.artifactFileUrl(project, runId, file), baseName(file));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };

  const parts = dir.split('/').filter(Boolean);
  const files = (listing.data?.files ?? []).map((f) => ({ ...f, path: entryPath(dir, f.path) })).sort((a, b) => (a.isDir === b.isDir ? a.path.localeCompare(b.path) : a.isDir ? -1 : 1));

  return (
    <div data-testid="artifacts">
      <nav aria-label="Artifact folder" className="breadcrumb artifact-path" data-testid="artifact-path">
        {parts.length === 0 ? (
          <span aria-current="page">artifacts</span>
        ) : (
          <button type="button" className="link-button" onClick={() => setDir('')}>
            artifacts
          </button>
        )}
        {parts.map((p, i) => {
          const to = parts.slice(0, i + 1).join('/');
          const last = i === parts.length - 1;
          return (
            <span key={to}>
              {' '}
              <span aria-hidden="true">/</span>{' '}
              {last ? (
                <span aria-current="page">{p}</span>
              ) : (
                <button type="button" className="link-button" onClick={() => setDir(to)}>
                  {p}
                </button>
              )}
            </span>
          );
        })}
      </nav>
      <ErrorNote error={listing.error} context="Could not list the artifacts" onRetry={listing.reload} />
      <ErrorNote error={error} context="Could not download the file" />
      {listing.loading && !listing.data && <Loading what="Listing artifacts" />}
      {listing.data && files.length === 0 && <p className="muted" data-testid="artifacts-empty">{dir ? 'This folder is empty.' : 'The run has no artifacts. mlflow.log_artifact() uploads files here.'}</p>}
      {files.length > 0 && (
        <TableWrap>
          <table className="table table-compact" data-testid="artifacts-table">
            <caption className="visually-hidden">Artifacts in {dir || 'the run\u2019s artifact root'}</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col" className="num">
                  Size
                </th>
                <th scope="col">
                  <span className="visually-hidden">Download</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {files.map((f) => (
                <tr key={f.path} data-testid={`artifact-${f.path}`}>
                  <th scope="row">
                    {f.isDir ? (
                      <button type="button" className="link-button" onClick={() => setDir(f.path)} data-testid={`artifact-open-${f.path}`}>
                        {baseName(f.path)}/
                      </button>
                    ) : (
                      baseName(f.path)
                    )}
                  </th>
                  <td className="num">{f.isDir || f.size === undefined ? <span className="muted">—</span> : formatBytes(f.size)}</td>
                  <td className="actions">
                    {!f.isDir && (
                      <button type="button" className="button button-small" disabled={busy === f.path} onClick={() => void download(f.path)} aria-label={`Download ${f.path}`} data-testid={`artifact-download-${f.path}`}>
                        {busy === f.path ? 'Downloading…' : 'Download'}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </div>
  );
}
