/** The approvals inbox: open requests the caller may review, and every request of the project by status. */
import { useState } from 'react';
import { api } from '../../api/client';
import { useRole, useSession } from '../../lib/session';
import { useApi } from '../../lib/use-api';
import { Empty, ErrorNote, Loading, PageTitle, Section } from '../../components/ui';
import { GovernanceTabs } from './governance-tabs';
import { PromotionCard } from './promotion-card';

const STATUSES = ['open', 'executed', 'rejected', 'cancelled', 'failed'] as const;

export function ApprovalsPage() {
  const { project } = useSession();
  const { can } = useRole();
  const [status, setStatus] = useState<string>('');
  const [tick, setTick] = useState(0);
  const [notice, setNotice] = useState<string | null>(null);
  const inbox = useApi((signal) => api.get('/api/v1/promotions', { query: { project, inbox: true }, signal }), [project, tick], { pollMs: 15_000, enabled: can('reviewer') });
  const all = useApi((signal) => api.get('/api/v1/promotions', { query: { project, ...(status ? { status } : {}), limit: 200 }, signal }), [project, status, tick], { pollMs: 15_000 });
  const reload = (_p: unknown, message: string) => {
    setNotice(`${message}`);
    setTick((t) => t + 1);
  };

  return (
    <>
      <PageTitle sub={`Promotion requests in project ${project}: a version asks to enter a stage, take an alias or serve in a deployment, and reviewers decide`}>Approvals</PageTitle>
      <GovernanceTabs />
      {notice && (
        <p className="note note-success" role="status" data-testid="approvals-notice">
          {notice}
        </p>
      )}
      {can('reviewer') ? (
        <Section title={`Waiting for your review${inbox.data ? ` (${inbox.data.items.length})` : ''}`} testId="inbox">
          <ErrorNote error={inbox.error} context="Could not load the inbox" onRetry={inbox.reload} />
          {!inbox.data && !inbox.error && <Loading what="Loading the inbox" />}
          {inbox.data && inbox.data.items.length === 0 && <Empty title="Nothing waits for you." testId="inbox-empty" />}
          <div className="promotions" data-testid="inbox-list">
            {inbox.data?.items.map((p) => (
              <PromotionCard key={p.id} p={p} onChanged={reload} />
            ))}
          </div>
        </Section>
      ) : (
        <p className="muted">Reviewers of project {project} approve or reject requests; you can follow them below.</p>
      )}
      <Section
        title="All requests"
        testId="all-requests"
        actions={
          <label className="field field-compact">
            <span className="field-label">Status</span>
            <select value={status} onChange={(e) => setStatus(e.target.value)} data-testid="promotion-status-filter">
              <option value="">any</option>
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
        }
      >
        <ErrorNote error={all.error} context="Could not load the requests" onRetry={all.reload} />
        {!all.data && !all.error && <Loading what="Loading requests" />}
        {all.data && all.data.items.length === 0 && <Empty title={status ? `No ${status} request.` : 'No promotion has been requested in this project.'} />}
        <div className="promotions" data-testid="all-list">
          {all.data?.items.map((p) => (
            <PromotionCard key={p.id} p={p} onChanged={reload} />
          ))}
        </div>
      </Section>
    </>
  );
}
