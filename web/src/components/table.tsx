/** Pieces of sortable, paged tables. */
import type { ReactNode } from 'react';

export type SortOrder = 'asc' | 'desc';

/** A column header that sorts when pressed; aria-sort tells which column sorts the rows and how. */
export function SortHeader({ label, field, sort, onSort }: { label: string; field: string; sort: { field: string; order: SortOrder }; onSort: (field: string, order: SortOrder) => void }) {
  const active = sort.field === field;
  const next: SortOrder = active && sort.order === 'asc' ? 'desc' : 'asc';
  return (
    <th scope="col" aria-sort={active ? (sort.order === 'asc' ? 'ascending' : 'descending') : 'none'}>
      <button type="button" className="sort-button" onClick={() => onSort(field, next)} data-testid={`sort-${field}`}>
        {label}
        <span className="sort-mark" aria-hidden="true">
          {active ? (sort.order === 'asc' ? '▲' : '▼') : '↕'}
        </span>
        <span className="visually-hidden">{active ? `, sorted ${sort.order === 'asc' ? 'ascending' : 'descending'}; press to sort ${next}ending` : ', press to sort'}</span>
      </button>
    </th>
  );
}

/** Previous/next buttons over cursor pages: the cursors of the pages seen are kept on a stack. */
export function Pager({ page, hasNext, onPrevious, onNext, label }: { page: number; hasNext: boolean; onPrevious: () => void; onNext: () => void; label: string }) {
  if (page === 0 && !hasNext) return null;
  return (
    <nav className="pager" aria-label={`${label} pages`}>
      <button type="button" className="button" onClick={onPrevious} disabled={page === 0} data-testid="page-previous">
        Previous
      </button>
      <span className="muted">Page {page + 1}</span>
      <button type="button" className="button" onClick={onNext} disabled={!hasNext} data-testid="page-next">
        Next
      </button>
    </nav>
  );
}

export function TableWrap({ children, label }: { children: ReactNode; label?: string }) {
  return (
    <div className="table-wrap" role={label ? 'region' : undefined} aria-label={label} tabIndex={label ? 0 : undefined}>
      {children}
    </div>
  );
}
