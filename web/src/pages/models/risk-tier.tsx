/** A model's risk tier (which of the project's policies governs it); project admins can change it. */
import { useState } from 'react';
import { api } from '../../api/client';
import { Link } from '../../lib/router';
import { useRole, useSession } from '../../lib/session';
import { Badge, ErrorNote } from '../../components/ui';

const TIERS = ['low', 'medium', 'high'];
const TONE: Record<string, 'neutral' | 'warn' | 'bad'> = { low: 'neutral', medium: 'warn', high: 'bad' };

export function RiskTier({ name, tier, onChanged }: { name: string; tier: string; onChanged: () => void }) {
  const { project } = useSession();
  const { can } = useRole();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const change = async (riskTier: string) => {
    setBusy(true);
    setError(undefined);
    try {
      await api.patch('/api/v1/models/{name}', { path: { name }, query: { project }, body: { riskTier } });
      onChanged();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <span className="risk-tier" data-testid="risk-tier">
      {can('admin') ? (
        <select value={tier} onChange={(e) => void change(e.target.value)} disabled={busy} aria-label={`Risk tier of ${name}`} data-testid="risk-tier-select">
          {TIERS.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
      ) : (
        <Badge tone={TONE[tier] ?? 'neutral'}>{tier}</Badge>
      )}{' '}
      <Link to={`/governance/policies?tier=${tier}`} className="small" data-testid="risk-tier-policy">
        the {tier} policy
      </Link>
      <ErrorNote error={error} context="The risk tier was not changed" />
    </span>
  );
}
