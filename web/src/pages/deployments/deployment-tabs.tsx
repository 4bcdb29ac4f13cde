/** The views of one deployment, as links: its overview (routing, traffic, revisions) and its monitoring. */
import { Link, path } from '../../lib/router';

export type DeploymentView = 'overview' | 'monitoring';

export function DeploymentTabs({ name, current }: { name: string; current: DeploymentView }) {
  const tabs: { view: DeploymentView; label: string; to: string }[] = [
    { view: 'overview', label: 'Overview', to: path('deployments', name) },
    { view: 'monitoring', label: 'Monitoring', to: path('deployments', name, 'monitoring') },
  ];
  return (
    <nav aria-label={`Views of ${name}`} className="tabs">
      {tabs.map((t) => (
        <Link key={t.view} to={t.to} className="tab" aria-current={t.view === current ? 'page' : undefined} data-testid={`${t.view}-tab`}>
          {t.label}
        </Link>
      ))}
    </nav>
  );
}
