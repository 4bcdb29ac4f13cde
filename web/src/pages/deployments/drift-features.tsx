/** Drift per feature over the chosen range: a table of every test, and reference vs current proportions of one feature. */
import { useMemo, useState } from 'react';
import type { ColumnDrift, DriftReport } from '../../api/types';
import { formatNumber } from '../../lib/format';
import { Chart, type ChartOption } from '../../components/chart';
import { SortHeader, TableWrap } from '../../components/table';
import { Badge } from '../../components/ui';
import { featureRows, firstFeature, isPValueTest, type FeatureSort } from './monitoring-data';

const TEST_NAMES: Record<string, string> = {
  ks: 'Kolmogorov–Smirnov',
  chisquare: 'chi-square',
  z: 'two-proportion Z',
  wasserstein: 'Wasserstein (normed)',
  jensenshannon: 'Jensen–Shannon',
  psi: 'PSI',
  hellinger: 'Hellinger',
  linf: 'L∞',
};

const BASIS: Record<string, string> = { counts: 'exact counts', bins: "the reference's bins", sample: 'row samples' };

function pValueText(d: ColumnDrift): string {
  if (d.pValue === undefined) return '—';
  return d.adjustedPValue !== undefined ? `${formatNumber(d.adjustedPValue)} (raw ${formatNumber(d.pValue)})` : formatNumber(d.pValue);
}

function thresholdText(d: ColumnDrift): string {
  return isPValueTest(d.test) ? `p ${d.test === 'ks' ? '≤' : '<'} ${formatNumber(d.threshold)}` : `≥ ${formatNumber(d.threshold)}`;
}

function Histogram({ name, drift }: { name: string; drift: ColumnDrift }) {
  const h = drift.histogram;
  const option = useMemo<ChartOption>(
    () =>
      h
        ? {
            grid: { left: 48, right: 16, top: 28, bottom: 56 },
            legend: { top: 0, right: 0, itemWidth: 14, itemHeight: 8 },
            tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: (v: unknown) => (typeof v === 'number' ? `${v.toFixed(1)}%` : '—') },
            xAxis: { type: 'category', data: h.labels, axisLabel: { hideOverlap: true, fontSize: 11, rotate: h.labels.length > 12 ? 25 : 0 } },
            yAxis: { type: 'value', min: 0, splitNumber: 3, axisLabel: { formatter: '{value}%' } },
            series: [
              { type: 'bar', name: 'reference', data: h.reference.map((p) => p * 100), barGap: '10%' },
              { type: 'bar', name: 'current', data: h.current.map((p) => p * 100) },
            ],
          }
        : {},
    [h],
  );
  if (!h) return <p className="muted">No histogram for {name}: it has no value in the current rows, or too many distinct values to count.</p>;
  const moved = h.labels.reduce((best, _l, i) => (Math.abs((h.current[i] ?? 0) - (h.reference[i] ?? 0)) > Math.abs((h.current[best] ?? 0) - (h.reference[best] ?? 0)) ? i : best), 0);
  return (
    <figure className="chart-card">
      <figcaption>
        <span>
          <code>{name}</code>: share of rows per {drift.kind === 'categorical' ? 'category' : h.labels.length <= 20 && drift.basis === 'counts' ? 'value' : 'bin'}
        </span>
        <strong>{drift.drifted ? <Badge tone="bad">drifted</Badge> : <Badge tone="good">no drift</Badge>}</strong>
      </figcaption>
      <Chart
        option={option}
        height={260}
        testId="histogram-chart"
        label={`Reference and current proportions of ${name} over ${h.labels.length} ${drift.kind === 'categorical' ? 'categories' : 'bins'}; the largest change is in ${h.labels[moved] ?? ''}: ${((h.reference[moved] ?? 0) * 100).toFixed(1)}% of the reference, ${((h.current[moved] ?? 0) * 100).toFixed(1)}% now`}
      />
      <p className="muted small" data-testid="histogram-summary">
        {TEST_NAMES[drift.test] ?? drift.test} {drift.statistic === null ? 'not computed (no current value)' : formatNumber(drift.statistic)}
        {drift.pValue !== undefined ? `, p-value ${pValueText(drift)}` : ''}, drift when {thresholdText(drift)}
        {drift.effectSize ? `; effect size (${drift.effectSize.measure}) ${formatNumber(drift.effectSize.value)}` : ''}. From {BASIS[drift.basis] ?? drift.basis}; {formatNumber(drift.referenceRows)} reference rows,{' '}
        {formatNumber(drift.currentRows)} current rows.
      </p>
    </figure>
  );
}

export function DriftFeatures({ drift }: { drift: DriftReport }) {
  const [sort, setSort] = useState<FeatureSort>({ field: 'score', order: 'desc' });
  const rows = useMemo(() => featureRows({ drift }, sort), [drift, sort]);
  const [picked, setPicked] = useState<string | null>(null);
  const shown = picked !== null && rows.some((r) => r.name === picked) ? picked : firstFeature({ drift });
  const shownRow = rows.find((r) => r.name === shown);

  return (
    <div className="drift-features">
      <div className="histogram-panel">
        <label className="field field-inline">
          <span className="field-label">Feature</span>
          <select value={shown ?? ''} onChange={(e) => setPicked(e.target.value)} data-testid="histogram-feature-select">
            {rows.map((r) => (
              <option key={r.name} value={r.name}>
                {r.isOutput ? 'prediction (the model output)' : r.name}
                {r.drift.drifted ? ' — drifted' : ''}
              </option>
            ))}
          </select>
        </label>
        {shownRow ? <Histogram key={shownRow.name} name={shownRow.name} drift={shownRow.drift} /> : <p className="muted">No feature has a histogram.</p>}
      </div>
      <TableWrap label="Drift tests per feature">
        <table className="table table-compact" data-testid="feature-table">
          <caption className="visually-hidden">Drift test of each feature and of the prediction over the chosen range</caption>
          <thead>
            <tr>
              <SortHeader label="Feature" field="name" sort={sort} onSort={(field, order) => setSort({ field: field as FeatureSort['field'], order })} />
              <th scope="col">Test</th>
              <SortHeader label="Statistic" field="statistic" sort={sort} onSort={(field, order) => setSort({ field: field as FeatureSort['field'], order })} />
              <th scope="col">p-value</th>
              <th scope="col">Drift when</th>
              <SortHeader label="Severity" field="score" sort={sort} onSort={(field, order) => setSort({ field: field as FeatureSort['field'], order })} />
              <th scope="col">Effect size</th>
              <th scope="col">Drift</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.name} data-testid={`feature-row-${r.name}`} className={r.name === shown ? 'selected' : undefined}>
                <th scope="row">
                  <button type="button" className="link-button" onClick={() => setPicked(r.name)} aria-label={`Show the histogram of ${r.name}`} disabled={!r.drift.histogram}>
                    {r.name}
                  </button>
                  {r.isOutput && <span className="muted small"> (output)</span>}
                </th>
                <td title={r.drift.defaultTest ? 'the default test for this column' : 'chosen in the monitoring settings'}>
                  {r.drift.test}
                  {!r.drift.defaultTest && <span className="muted">*</span>}
                </td>
                <td className="num">{formatNumber(r.drift.statistic)}</td>
                <td className="num">{pValueText(r.drift)}</td>
                <td className="nowrap">{thresholdText(r.drift)}</td>
                <td className="num">{r.score === null ? '—' : Number.isFinite(r.score) ? r.score.toFixed(2) : '∞'}</td>
                <td className="nowrap">{r.drift.effectSize ? `${r.drift.effectSize.measure} ${formatNumber(r.drift.effectSize.value)}` : '—'}</td>
                <td>{r.drift.statistic === null ? <span className="muted">not tested</span> : r.drift.drifted ? <Badge tone="bad">drifted</Badge> : <Badge tone="good">ok</Badge>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
      <p className="muted small">
        “Severity” is the statistic over its threshold for distances, and −log10 of the p-value over −log10 of the threshold for tests (as in the heatmap): 1 is the threshold, above it a drift.
        {drift.correction === 'bh' ? ' p-values are adjusted across the features (Benjamini–Hochberg).' : ''}
      </p>
    </div>
  );
}
