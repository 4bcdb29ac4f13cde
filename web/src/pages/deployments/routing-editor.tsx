/**
 * The routing editor: targets with weight sliders that always sum to 100, shadow targets, batching and
 * the other settings of a deployment, and a comment kept with the revision. It builds the body of
 * PUT /api/v1/deployments/{name}; the server has the last word (its refusal is shown as it says it).
 */
import { useEffect, useMemo, useState, type FormEvent, type ReactNode } from 'react';
import { api } from '../../api/client';
import type { DeploymentBody, DeploymentSpec, Model } from '../../api/types';
import { useSession } from '../../lib/session';
import { useApi } from '../../lib/use-api';
import { ErrorNote } from '../../components/ui';
import { addWeight, removeWeight, setWeight, TOTAL } from './weights';

/** A target's version: "3" (a version number) or "@champion" (an alias it follows). */
type Ref = string;

export interface DraftTarget {
  id: number;
  model: string;
  ref: Ref;
  weight: number;
}

export interface DraftShadow {
  id: number;
  model: string;
  ref: Ref;
}

export interface Draft {
  targets: DraftTarget[];
  shadow: DraftShadow[];
  batching: boolean;
  maxBatchSize: number;
  maxDelayMicros: number;
  public: boolean;
  timeoutMs: number;
  maxQueue: number;
  comment: string;
}

let nextId = 1;
const newId = () => nextId++;

const refOf = (t: { version: number; alias: string | null }): Ref => (t.alias ? `@${t.alias}` : String(t.version));

export function draftFromSpec(spec: DeploymentSpec): Draft {
  return {
    targets: spec.targets.map((t) => ({ id: newId(), model: t.model, ref: refOf(t), weight: t.weight })),
    shadow: spec.shadow.map((t) => ({ id: newId(), model: t.model, ref: refOf(t) })),
    batching: spec.batching !== null,
    maxBatchSize: spec.batching?.maxBatchSize ?? 64,
    maxDelayMicros: spec.batching?.maxDelayMicros ?? 1000,
    public: spec.public,
    timeoutMs: spec.timeoutMs,
    maxQueue: spec.maxQueue,
    comment: '',
  };
}

export function emptyDraft(model = ''): Draft {
  return { targets: [{ id: newId(), model, ref: '', weight: TOTAL }], shadow: [], batching: false, maxBatchSize: 64, maxDelayMicros: 1000, public: false, timeoutMs: 10_000, maxQueue: 2048, comment: '' };
}

function refBody(ref: Ref): { version: number } | { alias: string } {
  return ref.startsWith('@') ? { alias: ref.slice(1) } : { version: Number(ref) };
}

export function bodyOf(d: Draft): DeploymentBody {
  return {
    targets: d.targets.map((t) => ({ model: t.model, ...refBody(t.ref), weight: t.weight })),
    shadow: d.shadow.map((s) => ({ model: s.model, ...refBody(s.ref) })),
    batching: d.batching ? { maxBatchSize: d.maxBatchSize, maxDelayMicros: d.maxDelayMicros } : null,
    public: d.public,
    timeoutMs: d.timeoutMs,
    maxQueue: d.maxQueue,
    ...(d.comment.trim() ? { comment: d.comment.trim() } : {}),
  };
}

/** What is missing before the draft can be sent, in plain words (null when it is complete). */
export function draftProblem(d: Draft): string | null {
  if (d.targets.length === 0) return 'Add at least one target.';
  for (const [i, t] of d.targets.entries()) {
    if (!t.model) return `Choose the model of target ${i + 1}.`;
    if (!t.ref) return `Choose the version of target ${i + 1} (${t.model}).`;
  }
  for (const [i, s] of d.shadow.entries()) {
    if (!s.model || !s.ref) return `Choose the model and version of shadow target ${i + 1}, or remove it.`;
  }
  return null;
}

function useModels(): { models: Model[]; error: unknown } {
  const { project } = useSession();
  const list = useApi((signal) => api.get('/api/v1/models', { query: { project, limit: 1000 }, signal }), [project]);
  return { models: list.data?.items ?? [], error: list.error };
}

function ModelSelect({ value, models, onChange, label, testId, disabled }: { value: string; models: Model[]; onChange: (m: string) => void; label: string; testId: string; disabled: boolean }) {
  const names = models.map((m) => m.name);
  if (value && !names.includes(value)) names.unshift(value);
  return (
    <label className="field">
      <span className="visually-hidden">{label}</span>
      <select value={value} onChange={(e) => onChange(e.target.value)} data-testid={testId} disabled={disabled} aria-label={label}>
        <option value="">Choose a model…</option>
        {names.map((n) => (
          <option key={n} value={n}>
            {n}
          </option>
        ))}
      </select>
    </label>
  );
}

/** Versions of a model that can serve (READY), and its aliases; picks the newest when none is chosen. */
function VersionSelect({
  model,
  aliases,
  value,
  onChange,
  label,
  testId,
  disabled,
  taken = [],
}: {
  model: string;
  aliases: Record<string, number>;
  value: Ref;
  onChange: (r: Ref) => void;
  label: string;
  testId: string;
  disabled: boolean;
  /** Versions other rows already use: the newest one not among them is picked. */
  taken?: Ref[];
}) {
  const { project } = useSession();
  const versions = useApi((signal) => api.get('/api/v1/models/{name}/versions', { path: { name: model }, query: { project, status: 'READY', limit: 200 }, signal }), [project, model], { enabled: Boolean(model) });
  const numbers = versions.data?.items.map((v) => v.version) ?? [];
  // An alias in another row counts as the version it points at (the server refuses a version listed twice).
  const takenVersions = taken.map((r) => (r.startsWith('@') ? String(aliases[r.slice(1)] ?? '') : r));
  const newest = numbers.find((n) => !takenVersions.includes(String(n))) ?? numbers[0];
  useEffect(() => {
    if (!value && newest !== undefined) onChange(String(newest));
  }, [value, newest, onChange]);
  const options: { value: Ref; label: string }[] = [
    ...Object.entries(aliases).map(([a, v]) => ({ value: `@${a}`, label: `@${a} (v${v} now)` })),
    ...numbers.map((n) => ({ value: String(n), label: `v${n}` })),
  ];
  if (value && !options.some((o) => o.value === value)) options.unshift({ value, label: value.startsWith('@') ? value : `v${value}` });
  return (
    <label className="field">
      <span className="visually-hidden">{label}</span>
      <select value={value} onChange={(e) => onChange(e.target.value)} data-testid={testId} disabled={disabled || !model} aria-label={label}>
        <option value="">{!model ? 'Choose a model first' : versions.loading ? 'Loading versions…' : numbers.length === 0 ? 'No READY version' : 'Choose a version…'}</option>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </label>
  );
}

function NumberField({ label, value, onChange, min, max, testId, disabled, help }: { label: string; value: number; onChange: (n: number) => void; min: number; max: number; testId: string; disabled: boolean; help?: ReactNode }) {
  return (
    <label className="field">
      <span className="field-label">{label}</span>
      <input type="number" inputMode="numeric" min={min} max={max} step={1} value={value} onChange={(e) => onChange(Math.round(Number(e.target.value)))} data-testid={testId} disabled={disabled} />
      {help && <span className="field-help">{help}</span>}
    </label>
  );
}

export interface RoutingEditorProps {
  initial: Draft;
  /** Sends the body; throws the API's error when the change is refused. */
  onSave: (body: DeploymentBody) => Promise<void>;
  /** Viewers see the editor but cannot save. */
  readOnly?: boolean;
  saveLabel?: string;
  /** Fields shown above the targets (the new deployment's name). */
  before?: ReactNode;
  /** Extra check before saving (e.g. a name is needed). */
  check?: () => string | null;
}

export function RoutingEditor({ initial, onSave, readOnly = false, saveLabel = 'Save', before, check }: RoutingEditorProps) {
  const [draft, setDraft] = useState<Draft>(initial);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<unknown>();
  const [problem, setProblem] = useState<string | null>(null);
  const { models, error: modelsError } = useModels();
  const aliasesOf = useMemo(() => new Map(models.map((m) => [m.name, m.aliases])), [models]);
  const disabled = readOnly || saving;

  const weights = draft.targets.map((t) => t.weight);
  const total = weights.reduce((a, b) => a + b, 0);

  const update = (patch: Partial<Draft>) => setDraft((d) => ({ ...d, ...patch }));
  const setTarget = (i: number, patch: Partial<DraftTarget>) => setDraft((d) => ({ ...d, targets: d.targets.map((t, j) => (j === i ? { ...t, ...patch } : t)) }));
  const setShadow = (i: number, patch: Partial<DraftShadow>) => setDraft((d) => ({ ...d, shadow: d.shadow.map((t, j) => (j === i ? { ...t, ...patch } : t)) }));
  const moveWeight = (i: number, value: number) =>
    setDraft((d) => {
      const w = setWeight(
        d.targets.map((t) => t.weight),
        i,
        value,
      );
      return { ...d, targets: d.targets.map((t, j) => ({ ...t, weight: w[j]! })) };
    });

  // Stable callbacks per row, so that VersionSelect's "pick the newest" effect does not loop.
  const targetRefSetters = useMemo(() => new Map<number, (r: Ref) => void>(), []);
  const refSetter = (id: number, kind: 'target' | 'shadow') => {
    const key = kind === 'target' ? id : -id;
    let f = targetRefSetters.get(key);
    if (!f) {
      f = (ref: Ref) =>
        setDraft((d) =>
          kind === 'target' ? { ...d, targets: d.targets.map((t) => (t.id === id ? { ...t, ref } : t)) } : { ...d, shadow: d.shadow.map((t) => (t.id === id ? { ...t, ref } : t)) },
        );
      targetRefSetters.set(key, f);
    }
    return f;
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const p = check?.() ?? draftProblem(draft);
    setProblem(p);
    setError(undefined);
    if (p) return;
    setSaving(true);
    try {
      await onSave(bodyOf(draft));
      setDraft((d) => ({ ...d, comment: '' }));
    } catch (err) {
      setError(err);
    } finally {
      setSaving(false);
    }
  };

  return (
    <form className="editor" onSubmit={(e) => void submit(e)} aria-label="Routing" data-testid="routing-editor" noValidate>
      {before}
      <ErrorNote error={modelsError} context="Could not load the models to choose from" />
      <fieldset className="fieldset" disabled={disabled}>
        <legend>Targets</legend>
        <p className="muted small">
          Traffic is shared by weight; moving one slider shares the rest among the others in proportion. A target can follow an alias: it then moves when the alias does.
        </p>
        <div className="targets" role="group" aria-label="Targets and their weights">
          {draft.targets.map((t, i) => (
            <div className="target-row" key={t.id} data-testid={`target-row-${i}`}>
              <span className="target-index" aria-hidden="true">
                {i + 1}
              </span>
              <ModelSelect value={t.model} models={models} onChange={(m) => setTarget(i, { model: m, ref: '' })} label={`Model of target ${i + 1}`} testId={`target-model-${i}`} disabled={disabled} />
              <VersionSelect
                model={t.model}
                aliases={aliasesOf.get(t.model) ?? {}}
                value={t.ref}
                onChange={refSetter(t.id, 'target')}
                taken={draft.targets.filter((o) => o.id !== t.id && o.model === t.model).map((o) => o.ref)}
                label={`Version of target ${i + 1}`}
                testId={`target-version-${i}`}
                disabled={disabled}
              />
              <input
                type="range"
                className="weight-slider"
                min={0}
                max={TOTAL}
                step={1}
                value={t.weight}
                onChange={(e) => moveWeight(i, Number(e.target.value))}
                aria-label={`Weight of target ${i + 1}`}
                aria-valuetext={`${t.weight}% to ${t.model || 'no model yet'}${t.ref ? ` ${t.ref.startsWith('@') ? t.ref : `v${t.ref}`}` : ''}`}
                disabled={disabled || draft.targets.length < 2}
                data-testid={`weight-slider-${i}`}
              />
              <label className="weight-input">
                <span className="visually-hidden">Weight of target {i + 1}, percent</span>
                <input
                  type="number"
                  min={0}
                  max={TOTAL}
                  step={1}
                  value={t.weight}
                  onChange={(e) => moveWeight(i, Number(e.target.value))}
                  disabled={disabled || draft.targets.length < 2}
                  data-testid={`weight-input-${i}`}
                />
                <span aria-hidden="true">%</span>
              </label>
              <button
                type="button"
                className="button button-quiet"
                onClick={() =>
                  setDraft((d) => {
                    const w = removeWeight(
                      d.targets.map((x) => x.weight),
                      i,
                    );
                    return { ...d, targets: d.targets.filter((_x, j) => j !== i).map((x, j) => ({ ...x, weight: w[j]! })) };
                  })
                }
                disabled={disabled || draft.targets.length < 2}
                aria-label={`Remove target ${i + 1}`}
                data-testid={`remove-target-${i}`}
              >
                Remove
              </button>
            </div>
          ))}
        </div>
        <div className="row-between">
          <button
            type="button"
            className="button"
            onClick={() =>
              setDraft((d) => {
                const w = addWeight(d.targets.map((x) => x.weight));
                return { ...d, targets: [...d.targets.map((x, j) => ({ ...x, weight: w[j]! })), { id: newId(), model: '', ref: '', weight: w[w.length - 1]! }] };
              })
            }
            disabled={disabled || draft.targets.length >= 16}
            data-testid="add-target"
          >
            Add target
          </button>
          <p className={`weight-total${total === TOTAL ? '' : ' bad'}`} data-testid="weight-total" aria-live="polite">
            Total {total}%
          </p>
        </div>
      </fieldset>

      <fieldset className="fieldset" disabled={disabled}>
        <legend>Shadow targets</legend>
        <p className="muted small">A shadow gets a copy of every request after the answer is sent; its outputs go to the prediction log and are never returned.</p>
        {draft.shadow.length === 0 && <p className="muted">No shadow targets.</p>}
        {draft.shadow.map((s, i) => (
          <div className="target-row shadow-row" key={s.id} data-testid={`shadow-row-${i}`}>
            <span className="target-index" aria-hidden="true">
              S{i + 1}
            </span>
            <ModelSelect value={s.model} models={models} onChange={(m) => setShadow(i, { model: m, ref: '' })} label={`Model of shadow target ${i + 1}`} testId={`shadow-model-${i}`} disabled={disabled} />
            <VersionSelect
              model={s.model}
              aliases={aliasesOf.get(s.model) ?? {}}
              value={s.ref}
              onChange={refSetter(s.id, 'shadow')}
              label={`Version of shadow target ${i + 1}`}
              testId={`shadow-version-${i}`}
              disabled={disabled}
            />
            <button
              type="button"
              className="button button-quiet"
              onClick={() => update({ shadow: draft.shadow.filter((_x, j) => j !== i) })}
              aria-label={`Remove shadow target ${i + 1}`}
              data-testid={`remove-shadow-${i}`}
            >
              Remove
            </button>
          </div>
        ))}
        <button type="button" className="button" onClick={() => update({ shadow: [...draft.shadow, { id: newId(), model: '', ref: '' }] })} disabled={disabled || draft.shadow.length >= 8} data-testid="add-shadow">
          Add shadow target
        </button>
      </fieldset>

      <fieldset className="fieldset" disabled={disabled}>
        <legend>Batching and limits</legend>
        <label className="check">
          <input type="checkbox" checked={draft.batching} onChange={(e) => update({ batching: e.target.checked })} data-testid="batching-enabled" />
          Merge requests that arrive together into one model call (dynamic batching)
        </label>
        <div className="fields-row">
          <NumberField label="Largest batch (rows)" value={draft.maxBatchSize} min={1} max={100_000} onChange={(n) => update({ maxBatchSize: n })} testId="batching-max-batch-size" disabled={disabled || !draft.batching} />
          <NumberField label="Longest wait (µs)" value={draft.maxDelayMicros} min={0} max={1_000_000} onChange={(n) => update({ maxDelayMicros: n })} testId="batching-max-delay" disabled={disabled || !draft.batching} />
          <NumberField label="Request timeout (ms)" value={draft.timeoutMs} min={1} max={600_000} onChange={(n) => update({ timeoutMs: n })} testId="timeout-ms" disabled={disabled} />
          <NumberField label="Queue limit (rows per target)" value={draft.maxQueue} min={1} max={1_000_000} onChange={(n) => update({ maxQueue: n })} testId="max-queue" disabled={disabled} />
        </div>
        <label className="check">
          <input type="checkbox" checked={draft.public} onChange={(e) => update({ public: e.target.checked })} data-testid="public-checkbox" />
          Public: allow predictions without a token
        </label>
      </fieldset>

      <label className="field">
        <span className="field-label">Comment (why this change; kept with the revision)</span>
        <input value={draft.comment} onChange={(e) => update({ comment: e.target.value })} maxLength={2000} disabled={disabled} data-testid="deploy-comment" placeholder="e.g. canary 10% to v4" />
      </label>

      {problem && (
        <p className="note note-warn" role="alert" data-testid="draft-problem">
          {problem}
        </p>
      )}
      <ErrorNote error={error} context="Not saved" />
      <div className="row-between">
        <button type="submit" className="button button-primary" disabled={disabled} data-testid="deploy-save">
          {saving ? 'Saving — loading and warming the models…' : saveLabel}
        </button>
        {readOnly && <p className="muted small">Your role can read deployments but not change them (a deployer can).</p>}
      </div>
    </form>
  );
}
