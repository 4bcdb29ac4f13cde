/** A policy document in readable form: its gates, and what each governed move requires. */
import type { PolicyDocumentView } from '../../api/types';
import { TableWrap } from '../../components/table';
import { Badge } from '../../components/ui';

export interface Requirement {
  gates?: string[];
  maxGateAgeDays?: number | null;
  approvals?: number;
  modelCard?: string[];
  explanationReport?: boolean;
}

/** "metric=roc_auc, threshold=0.8": a gate spec's parameters besides its name and type. */
export function gateParameters(spec: Record<string, unknown>): string {
  return Object.entries(spec)
    .filter(([k, v]) => k !== 'name' && k !== 'type' && k !== 'specSha256' && v !== undefined && v !== null)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(', ');
}

/** Each governed move of a document with its requirement: stages, then aliases, then deployments. */
export function requirementsOf(doc: PolicyDocumentView): { move: string; testId: string; req: Requirement }[] {
  const out: { move: string; testId: string; req: Requirement }[] = [];
  for (const [stage, req] of Object.entries(doc.stages as Record<string, Requirement>)) out.push({ move: `Stage ${stage}`, testId: `stage-${stage}`, req });
  for (const [alias, req] of Object.entries(doc.aliases as Record<string, Requirement>)) out.push({ move: `Alias @${alias}`, testId: `alias-${alias}`, req });
  if (doc.deployments) out.push({ move: 'Deployment traffic', testId: 'deployments', req: doc.deployments as Requirement });
  return out;
}

export function PolicyView({ doc, refuses }: { doc: PolicyDocumentView; refuses?: boolean }) {
  const gates = doc.gates as Record<string, unknown>[];
  const reqs = requirementsOf(doc);
  return (
    <div className="policy-view" data-testid="policy-view">
      <h3>Gates</h3>
      {gates.length === 0 ? (
        <p className="muted">This policy defines no test gates.</p>
      ) : (
        <TableWrap>
          <table className="table table-compact" data-testid="policy-gates">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Type</th>
                <th scope="col">Parameters</th>
              </tr>
            </thead>
            <tbody>
              {gates.map((g) => (
                <tr key={String(g.name)} data-testid={`policy-gate-${String(g.name)}`}>
                  <th scope="row">{String(g.name)}</th>
                  <td>{String(g.type)}</td>
                  <td>
                    <code>{gateParameters(g) || '—'}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <h3>Requirements</h3>
      {reqs.length === 0 ? (
        <p className="muted">Nothing is required: every stage, alias and deployment move is allowed.</p>
      ) : (
        <TableWrap>
          <table className="table table-compact" data-testid="policy-requirements">
            <thead>
              <tr>
                <th scope="col">To enter</th>
                <th scope="col">Gates that must pass</th>
                <th scope="col">Gate results at most</th>
                <th scope="col">Approvals</th>
                <th scope="col">Model card fields</th>
                <th scope="col">Explanation report</th>
              </tr>
            </thead>
            <tbody>
              {reqs.map(({ move, testId, req }) => (
                <tr key={move} data-testid={`policy-requirement-${testId}`}>
                  <th scope="row">
                    {move} {refuses && <Badge tone="bad">refused</Badge>}
                  </th>
                  <td>{req.gates?.length ? req.gates.join(', ') : <span className="muted">none</span>}</td>
                  <td>{req.maxGateAgeDays ? `${req.maxGateAgeDays} days old` : <span className="muted">any age</span>}</td>
                  <td className="num">{req.approvals ?? 0}</td>
                  <td>{req.modelCard?.length ? req.modelCard.join(', ') : <span className="muted">none</span>}</td>
                  <td>{req.explanationReport ? 'required' : <span className="muted">no</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <p className="muted small">Approvals count only reviewers who neither wrote the version nor asked for the move (four eyes). Moves to Archived or None, alias deletions and traffic removals need nothing.</p>
    </div>
  );
}
