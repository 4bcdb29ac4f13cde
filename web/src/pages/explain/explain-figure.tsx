/**
 * The frame of every explanation picture: a heading, its pickers (output, feature…), the chart, a summary
 * in words, and a button that shows the same numbers as a table (for screen readers, keyboards and copying).
 */
import { useId, useState, type ReactNode } from 'react';

export function ExplainFigure({ title, testId, controls, summary, table, children, className }: { title: string; testId: string; controls?: ReactNode; summary?: ReactNode; table: () => ReactNode; children: ReactNode; className?: string }) {
  const [showTable, setShowTable] = useState(false);
  const headingId = useId();
  const tableId = useId();
  return (
    <figure className={`chart-card explain-figure${className ? ` ${className}` : ''}`} aria-labelledby={headingId} data-testid={testId}>
      <div className="explain-figure-head">
        <h3 id={headingId}>{title}</h3>
        {controls && <div className="explain-controls">{controls}</div>}
      </div>
      {children}
      {summary && (
        <p className="muted small explain-summary" data-testid={`${testId}-summary`}>
          {summary}
        </p>
      )}
      <button type="button" className="button button-small button-quiet explain-table-toggle" aria-expanded={showTable} aria-controls={tableId} onClick={() => setShowTable((s) => !s)} data-testid={`${testId}-table-toggle`}>
        {showTable ? 'Hide the table' : 'Show the numbers as a table'}
      </button>
      <div id={tableId} className="explain-table">
        {showTable && table()}
      </div>
    </figure>
  );
}

/** A picker of one output, shown only when there are several (or when `all` offers them together). */
export function OutputSelect({ outputs, value, onChange, all, testId = 'output-select' }: { outputs: string[]; value: number | null; onChange: (output: number | null) => void; all?: string; testId?: string }) {
  if (outputs.length <= 1) return null;
  return (
    <label className="field field-compact">
      <span className="field-label">Output</span>
      <select value={value === null ? 'all' : String(value)} onChange={(e) => onChange(e.target.value === 'all' ? null : Number(e.target.value))} data-testid={testId}>
        {all && <option value="all">{all}</option>}
        {outputs.map((o, i) => (
          <option key={`${i}-${o}`} value={i}>
            {o}
          </option>
        ))}
      </select>
    </label>
  );
}

export function FeatureSelect({ label, features, value, onChange, testId, none }: { label: string; features: string[]; value: string | null; onChange: (feature: string | null) => void; testId: string; none?: string }) {
  return (
    <label className="field field-compact">
      <span className="field-label">{label}</span>
      <select value={value ?? ''} onChange={(e) => onChange(e.target.value === '' ? null : e.target.value)} data-testid={testId}>
        {none !== undefined && <option value="">{none}</option>}
        {features.map((f) => (
          <option key={f} value={f}>
            {f}
          </option>
        ))}
      </select>
    </label>
  );
}

/** An output index kept within the outputs there are (a report or row with fewer outputs than the last one). */
export function clampOutput(output: number, outputs: string[]): number {
  return output >= 0 && output < outputs.length ? output : 0;
}

/**
 * A chart grid whose axis labels and axis names are kept inside the chart's box (ECharts 6's outer bounds:
 * the grid's margins are the outer edge, and the plot shrinks to leave room for labels and names).
 */
export const FIT_GRID = { outerBoundsMode: 'same', outerBoundsContain: 'all' } as const;

/** An x axis name centred under the axis labels. */
export const X_NAME = { nameLocation: 'middle', nameMoveOverlap: false, nameGap: 30 } as const;

/** A y axis name centred along the axis, moved clear of labels of any width (nameGap is then the gap from the labels). */
export const Y_NAME = { nameLocation: 'middle', nameMoveOverlap: true, nameGap: 10 } as const;
