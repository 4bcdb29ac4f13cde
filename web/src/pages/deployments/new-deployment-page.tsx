import { useState } from 'react';
import { api } from '../../api/client';
import { Link, navigate, path } from '../../lib/router';
import { useRole, useSession } from '../../lib/session';
import { PageTitle } from '../../components/ui';
import { emptyDraft, RoutingEditor } from './routing-editor';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export function NewDeploymentPage() {
  const { project } = useSession();
  const [name, setName] = useState('');
  const [initial] = useState(() => emptyDraft());
  const canCreate = useRole().can('deployer');

  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/deployments">Deployments</Link> <span aria-hidden="true">/</span> <span aria-current="page">new</span>
      </nav>
      <PageTitle sub={`In project ${project}. The models are loaded and warmed before the deployment takes traffic.`}>New deployment</PageTitle>
      <RoutingEditor
        initial={initial}
        readOnly={!canCreate}
        saveLabel="Create deployment"
        check={() => (NAME.test(name.trim()) ? null : "Give the deployment a name: letters, digits, '-', '_' and '.', starting with a letter or digit.")}
        before={
          <label className="field">
            <span className="field-label">Name</span>
            <input value={name} onChange={(e) => setName(e.target.value)} placeholder="fraud-scoring" maxLength={128} data-testid="deployment-name" required autoComplete="off" />
            <span className="field-help">The endpoint will be POST /api/v1/deployments/{name.trim() || '<name>'}/predict</span>
          </label>
        }
        onSave={async (body) => {
          const n = name.trim();
          // PUT creates or changes: refuse to silently change an existing deployment from this form.
          const existing = await api.get('/api/v1/deployments/{name}', { path: { name: n }, query: { project } }).catch(() => null);
          if (existing) throw new Error(`A deployment named ${n} already exists; change it from its page instead.`);
          await api.put('/api/v1/deployments/{name}', { path: { name: n }, query: { project }, body });
          navigate(path('deployments', n));
        }}
      />
    </>
  );
}
