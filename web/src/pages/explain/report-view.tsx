/** The pictures of a finished global explanation report, stacked: importance, beeswarm, dependence, partial dependence. */
import { plural } from '../../lib/format';
import { Empty } from '../../components/ui';
import { Beeswarm } from './beeswarm-chart';
import { DependencePlot } from './dependence-chart';
import { MethodLine } from './explanation-view';
import { GlobalImportance, PermutationImportanceChart } from './importance-charts';
import { InteractionStrength } from './interaction-chart';
import { InteractionHeatmap, PartialDependenceChart } from './pdp-charts';
import type { ExplanationReport, ReportResult } from './types';

export function ReportView({ report, result }: { report: ExplanationReport; result: ReportResult }) {
  // Every explained row is kept: the sample asked for, or the whole dataset version when it is smaller.
  const rows = result.samples.shap.length;
  return (
    <div className="explain-report" data-testid="explanation-report-view">
      <p>
        {plural(result.features.length, 'feature')} of {report.model} v{report.version} explained on {plural(rows, 'row')} of {report.dataset.name} v{report.dataset.version}
        {rows < report.params.rows ? ` (every usable row; ${report.params.rows.toLocaleString('en-US')} were asked for)` : ' (a seeded sample)'}
        {report.params.target ? `, with ${report.params.target} as the target` : ''}. Started by {report.createdBy}.
      </p>
      <MethodLine method={result.method} note={result.note} additivityError={result.additivityError} space={result.space} outputs={result.outputs} />
      {result.notes && result.notes.length > 0 && (
        <ul className="muted" data-testid="explanation-notes">
          {result.notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
      <div className="explain-grid">
        <GlobalImportance result={result} />
        {result.permutation ? (
          <PermutationImportanceChart permutation={result.permutation} />
        ) : (
          <Empty title="No permutation importance." testId="permutation-empty">
            <p>
              Permutation importance measures how much a metric drops when a feature&apos;s values are shuffled, so it needs the true outcomes: start a report with a target column (and, if you
              like, a metric).
            </p>
          </Empty>
        )}
        <Beeswarm result={result} />
        <InteractionStrength result={result} />
        <DependencePlot result={result} />
        {result.partialDependence.length > 0 ? (
          <PartialDependenceChart items={result.partialDependence} />
        ) : (
          <Empty title="No partial dependence in this report." testId="pdp-empty">
            <p>Start a report that names features for partial dependence (by default the 5 most important are computed).</p>
          </Empty>
        )}
        {result.partialDependence2d.length > 0 && <InteractionHeatmap items={result.partialDependence2d} />}
      </div>
    </div>
  );
}
