/** The Governance pages' tabs: approvals, policies, the audit log, and webhooks (for project admins). */
import { Link, useLocation } from '../../lib/router';
import { useRole } from '../../lib/session';

export const GOVERNANCE_PAGES: { to: string; label: string; testId: string; admin?: boolean }[] = [
  { to: '/governance/approvals', label: 'Approvals', testId: 'approvals' },
  { to: '/governance/policies', label: 'Policies', testId: 'policies' },
  { to: '/governance/audit', label: 'Audit log', testId: 'audit' },
  { to: '/governance/webhooks', label: 'Webhooks', testId: 'webhooks', admin: true },
];

export function GovernanceTabs() {
  const { path } = useLocation();
  const { can } = useRole();
  return (
    <nav aria-label="Governance" className="tabs">
      {GOVERNANCE_PAGES.filter((p) => !p.admin || can('admin')).map((p) => (
        <Link key={p.to} to={p.to} className="tab" aria-current={path === p.to ? 'page' : undefined} data-testid={`governance-tab-${p.testId}`}>
          {p.label}
        </Link>
      ))}
    </nav>
  );
}
