/**
 * The app frame: signing in (a pasted token, or #token=… in the address the server prints at first
 * start), the header with the user, role and project switcher, the navigation and the pages.
 */
import { useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, ApiError, describeError, setUnauthorizedHandler, tokenStore } from './api/client';
import type { Project, WhoAmI } from './api/types';
import { Link, matchPath, navigate, useLocation } from './lib/router';
import { projectStore, roleIn, SessionContext, type Session } from './lib/session';
import { useApi } from './lib/use-api';
import { LoginPage } from './pages/login-page';
import { ModelsPage } from './pages/models/models-page';
import { ModelPage } from './pages/models/model-page';
import { VersionPage } from './pages/models/version-page';
import { ComparePage } from './pages/models/compare-page';
import { RegisterModelPage } from './pages/models/register-page';
import { DatasetsPage } from './pages/datasets/datasets-page';
import { DatasetPage } from './pages/datasets/dataset-page';
import { DatasetVersionPage } from './pages/datasets/dataset-version-page';
import { UploadDatasetPage } from './pages/datasets/upload-page';
import { DeploymentsPage } from './pages/deployments/deployments-page';
import { DeploymentPage } from './pages/deployments/deployment-page';
import { MonitoringPage } from './pages/deployments/monitoring-page';
import { NewDeploymentPage } from './pages/deployments/new-deployment-page';
import { AdminPage } from './pages/admin/admin-page';
import { PredictionLookupPage, PredictionPage } from './pages/explain/prediction-page';
import { ApprovalsPage } from './pages/governance/approvals-page';
import { AuditPage } from './pages/governance/audit-page';
import { CardPage } from './pages/governance/card-page';
import { NotificationsMenu } from './pages/governance/notifications';
import { PoliciesPage } from './pages/governance/policies-page';
import { WebhooksPage } from './pages/governance/webhooks-page';
import { ExperimentsPage } from './pages/tracking/experiments-page';
import { ExperimentPage } from './pages/tracking/experiment-page';
import { RunPage } from './pages/tracking/run-page';
import { RunComparePage } from './pages/tracking/run-compare-page';
import { NewTrainingPage, TrainingJobPage, TrainingJobsPage } from './pages/training/training-pages';
import { Empty, Loading, PageTitle } from './components/ui';

/** Reads #token=… from the address once, keeps it and removes it from the address bar and history. */
function takeTokenFromFragment(): string | null {
  const hash = window.location.hash;
  if (!hash.startsWith('#')) return null;
  const params = new URLSearchParams(hash.slice(1));
  const token = params.get('token');
  if (!token) return null;
  params.delete('token');
  const rest = params.toString();
  window.history.replaceState(window.history.state, '', window.location.pathname + window.location.search + (rest ? `#${rest}` : ''));
  return token.trim();
}

type Auth = { state: 'checking' } | { state: 'signed-out'; message?: string } | { state: 'signed-in'; user: WhoAmI };

export function App() {
  const [auth, setAuth] = useState<Auth>(() => {
    const fromFragment = takeTokenFromFragment();
    if (fromFragment) tokenStore.set(fromFragment);
    return tokenStore.get() ? { state: 'checking' } : { state: 'signed-out' };
  });

  const signOut = useCallback((message?: string) => {
    tokenStore.clear();
    setAuth(message ? { state: 'signed-out', message } : { state: 'signed-out' });
  }, []);

  useEffect(() => {
    setUnauthorizedHandler((e) => signOut(`Steward no longer accepts your token (${e.message}). Paste a valid one to sign in again.`));
    return () => setUnauthorizedHandler(undefined);
  }, [signOut]);

  useEffect(() => {
    if (auth.state !== 'checking') return;
    const token = tokenStore.get();
    if (!token) {
      setAuth({ state: 'signed-out' });
      return;
    }
    api.whoamiWith(token).then(
      (user) => setAuth({ state: 'signed-in', user }),
      (err: unknown) => {
        if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
          tokenStore.clear();
          setAuth({ state: 'signed-out', message: `The saved token was not accepted: ${err.message}` });
        } else {
          const e = describeError(err);
          setAuth({ state: 'signed-out', message: `${e.title}. ${e.message}` });
        }
      },
    );
  }, [auth.state]);

  if (auth.state === 'checking') {
    return (
      <main className="center-page">
        <Loading what="Signing in" />
      </main>
    );
  }
  if (auth.state === 'signed-out') {
    return (
      <LoginPage
        message={auth.message}
        onSignedIn={(token, user) => {
          tokenStore.set(token);
          setAuth({ state: 'signed-in', user });
        }}
      />
    );
  }
  return <SignedIn user={auth.user} signOut={signOut} />;
}

function SignedIn({ user, signOut }: { user: WhoAmI; signOut: (message?: string) => void }) {
  const [project, setProjectState] = useState(projectStore.get);
  const [projects, setProjects] = useState<Project[]>([]);
  const [projectsTick, setProjectsTick] = useState(0);
  const location = useLocation();

  useEffect(() => {
    api.get('/api/v1/projects').then(
      (r) => {
        setProjects(r.items);
        // A project that is gone (or a stale choice from another server): back to the default one.
        if (r.items.length > 0 && !r.items.some((p) => p.name === project)) {
          setProjectState('default');
          projectStore.set('default');
        }
      },
      () => setProjects([]),
    );
  }, [projectsTick]);

  const session = useMemo<Session>(
    () => ({
      user,
      project,
      projects,
      setProject: (p) => {
        projectStore.set(p);
        setProjectState(p);
        // Pages of one project's objects make no sense in another: go to the section's list.
        const section = location.path.split('/')[1] ?? '';
        // A run's pages belong to the experiments' section.
        const list = section === 'runs' ? '/experiments' : `/${section}`;
        if (['models', 'datasets', 'experiments', 'runs', 'training', 'deployments', 'predictions', 'governance'].includes(section) && location.path !== list) navigate(list);
      },
      reloadProjects: () => setProjectsTick((t) => t + 1),
      signOut,
    }),
    [user, project, projects, signOut, location.path],
  );

  return (
    <SessionContext.Provider value={session}>
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <Header />
      <main id="main" className="main" key={project}>
        <Routes key={location.path} path={location.path} />
      </main>
    </SessionContext.Provider>
  );
}

const NAV: { to: string; label: string; admin?: boolean; section?: string; also?: string[] }[] = [
  { to: '/models', label: 'Models' },
  { to: '/datasets', label: 'Datasets' },
  { to: '/experiments', label: 'Experiments', also: ['/runs'] },
  { to: '/training', label: 'Training' },
  { to: '/deployments', label: 'Deployments' },
  { to: '/governance/approvals', label: 'Governance', section: '/governance' },
  { to: '/admin', label: 'Admin', admin: true },
];

/** How many open promotion requests wait for the user's review in the project (reviewers only). */
function InboxCount({ project, enabled }: { project: string; enabled: boolean }) {
  const inbox = useApi((signal) => api.get('/api/v1/promotions', { query: { project, inbox: true, limit: 100 }, signal }), [project], { pollMs: 30_000, enabled });
  const n = inbox.data?.items.length ?? 0;
  if (!enabled || n === 0) return null;
  return (
    <span className="badge badge-warn nav-count" data-testid="inbox-count" aria-label={`${n} waiting for your review`}>
      {n}
    </span>
  );
}

function Header() {
  const location = useLocation();
  return (
    <SessionContext.Consumer>
      {(s) =>
        s && (
          <header className="header">
            <div className="header-inner">
              <Link to="/models" className="brand" aria-label="Steward home">
                <span className="brand-mark" aria-hidden="true">
                  S
                </span>
                Steward
              </Link>
              <nav aria-label="Main">
                <ul className="nav">
                  {NAV.filter((n) => !n.admin || roleIn(s.user, s.project) === 'admin').map((n) => {
                    const base = n.section ?? n.to;
                    const current =
                      [base, ...(n.also ?? [])].some((b) => location.path === b || location.path.startsWith(`${b}/`)) || (n.to === '/models' && location.path === '/');
                    const role = roleIn(s.user, s.project);
                    return (
                      <li key={n.to}>
                        <Link to={n.to} aria-current={current ? 'page' : undefined} data-testid={`nav-${n.label.toLowerCase()}`}>
                          {n.label}
                          {n.section === '/governance' && <InboxCount project={s.project} enabled={role === 'reviewer' || role === 'deployer' || role === 'admin'} />}
                        </Link>
                      </li>
                    );
                  })}
                </ul>
              </nav>
              <div className="header-right">
                <label className="project-switch">
                  <span>Project</span>
                  <select value={s.project} onChange={(e) => s.setProject(e.target.value)} data-testid="project-select">
                    {(s.projects.length ? s.projects.map((p) => p.name) : [s.project]).map((name) => (
                      <option key={name} value={name}>
                        {name}
                      </option>
                    ))}
                  </select>
                </label>
                <NotificationsMenu />
                <span
                  className="whoami"
                  data-testid="whoami"
                  title={`Signed in as ${s.user.name}: ${s.user.role === 'admin' ? 'platform admin (every role in every project)' : `${roleIn(s.user, s.project) ?? 'no role'} in project ${s.project}`}`}
                >
                  <span className="whoami-name">{s.user.name}</span>
                  <span className="badge badge-info" data-testid="whoami-role">
                    {s.user.role === 'admin' ? 'admin' : (roleIn(s.user, s.project) ?? 'no role')}
                  </span>
                </span>
                <button type="button" className="button button-quiet" onClick={() => s.signOut()} data-testid="sign-out">
                  Sign out
                </button>
              </div>
            </div>
          </header>
        )
      }
    </SessionContext.Consumer>
  );
}

const ROUTES: { pattern: string; render: (p: Record<string, string>) => ReactNode }[] = [
  { pattern: '/', render: () => <ModelsPage /> },
  { pattern: '/models', render: () => <ModelsPage /> },
  // Before '/models/:name' (a model named 'register' keeps its versions' pages and the API).
  { pattern: '/models/register', render: () => <RegisterModelPage /> },
  { pattern: '/models/:name', render: (p) => <ModelPage name={p.name!} /> },
  { pattern: '/models/:name/compare', render: (p) => <ComparePage name={p.name!} /> },
  { pattern: '/models/:name/versions/:version', render: (p) => <VersionPage name={p.name!} version={p.version!} /> },
  { pattern: '/models/:name/versions/:version/card', render: (p) => <CardPage name={p.name!} version={p.version!} /> },
  { pattern: '/datasets', render: () => <DatasetsPage /> },
  { pattern: '/datasets/upload', render: () => <UploadDatasetPage /> },
  { pattern: '/datasets/:name', render: (p) => <DatasetPage name={p.name!} /> },
  { pattern: '/datasets/:name/versions/:version', render: (p) => <DatasetVersionPage name={p.name!} version={p.version!} /> },
  { pattern: '/experiments', render: () => <ExperimentsPage /> },
  { pattern: '/experiments/:id', render: (p) => <ExperimentPage id={p.id!} /> },
  // Before '/runs/:id' (run ids are 32 hex digits, never 'compare').
  { pattern: '/runs/compare', render: () => <RunComparePage /> },
  { pattern: '/runs/:id', render: (p) => <RunPage id={p.id!} /> },
  { pattern: '/training', render: () => <TrainingJobsPage /> },
  // Before '/training/:id' (job ids are UUIDs, never 'new').
  { pattern: '/training/new', render: () => <NewTrainingPage /> },
  { pattern: '/training/:id', render: (p) => <TrainingJobPage id={p.id!} /> },
  { pattern: '/deployments', render: () => <DeploymentsPage /> },
  { pattern: '/deployments/new', render: () => <NewDeploymentPage /> },
  { pattern: '/deployments/:name', render: (p) => <DeploymentPage name={p.name!} /> },
  { pattern: '/deployments/:name/monitoring', render: (p) => <MonitoringPage name={p.name!} /> },
  { pattern: '/predictions', render: () => <PredictionLookupPage /> },
  { pattern: '/predictions/:id', render: (p) => <PredictionPage id={p.id!} /> },
  { pattern: '/governance', render: () => <ApprovalsPage /> },
  { pattern: '/governance/approvals', render: () => <ApprovalsPage /> },
  { pattern: '/governance/policies', render: () => <PoliciesPage /> },
  { pattern: '/governance/audit', render: () => <AuditPage /> },
  { pattern: '/governance/webhooks', render: () => <WebhooksPage /> },
  { pattern: '/admin', render: () => <AdminPage /> },
];

function Routes({ path }: { path: string }) {
  for (const r of ROUTES) {
    const params = matchPath(r.pattern, path);
    if (params) return <>{r.render(params)}</>;
  }
  return (
    <>
      <PageTitle>Page not found</PageTitle>
      <Empty title={`Nothing lives at ${path}.`}>
        <p>
          Go to <Link to="/models">Models</Link>, <Link to="/datasets">Datasets</Link>, <Link to="/experiments">Experiments</Link> or <Link to="/deployments">Deployments</Link>.
        </p>
      </Empty>
    </>
  );
}
