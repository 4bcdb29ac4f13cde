/**
 * The in-memory route table: deployment → its live revision (targets with their warmed runtimes and
 * runners, shadows, settings). Nothing here reads the database or the artifact store; a revision is built
 * (runtimes loaded and warmed) before it replaces the old one in one assignment, and the old one releases
 * its runtimes once its in-flight requests have finished.
 */
import type { DeploymentSpec, SpecTarget } from './deployment-spec.js';
import type { ModelRuntime, RuntimeCache, RuntimeSource } from './runtimes.js';
import { BatchingRunner, DirectRunner, type Runner } from './runners.js';
import type { ServingMetrics } from './serving-metrics.js';

export interface LiveTarget extends SpecTarget {
  runtime: ModelRuntime;
  runner: Runner;
  /** Metric labels, built once. */
  labels: { deployment: string; model: string; version: string };
  /** The metric series updated on every successful request, looked up once. */
  series: { ok: { inc(): void }; rows: { inc(n: number): void }; latency: { observe(v: number): void } };
}

export class LiveRevision {
  inFlight = 0;
  private retired = false;
  private released = false;
  /** Smooth weighted round robin (as nginx does): current credit per target. */
  private readonly credit: number[];

  constructor(
    readonly deploymentId: string,
    readonly project: string,
    readonly name: string,
    readonly revision: number,
    readonly spec: DeploymentSpec,
    readonly targets: LiveTarget[],
    readonly shadows: LiveTarget[],
    private readonly onReleased: (r: LiveRevision) => void,
  ) {
    this.credit = targets.map(() => 0);
  }

  get key(): string {
    return `${this.project}/${this.name}`;
  }

  /**
   * The next target by weight. Smooth weighted round robin: every call adds each target's weight to its
   * credit, picks the target with the most credit and takes 100 from it. Over any 100 consecutive requests
   * each target gets exactly its weight, interleaved (90/10 gives one canary request in every ten), with no
   * randomness to wait out.
   */
  pick(): LiveTarget {
    let best = 0;
    for (let i = 0; i < this.targets.length; i++) {
      this.credit[i]! += this.targets[i]!.weight;
      if (this.credit[i]! > this.credit[best]!) best = i;
    }
    this.credit[best]! -= 100;
    return this.targets[best]!;
  }

  /** The target pick() would choose next, without taking its turn (explanations use it). */
  peek(): LiveTarget {
    let best = 0;
    for (let i = 1; i < this.targets.length; i++) {
      if (this.credit[i]! + this.targets[i]!.weight > this.credit[best]! + this.targets[best]!.weight) best = i;
    }
    return this.targets[best]!;
  }

  /** The primary target serving this version (of `model` when given; the first match otherwise). */
  byVersion(version: number, model?: string): LiveTarget | undefined {
    return this.targets.find((t) => t.version === version && (model === undefined || t.model === model));
  }

  enter(): void {
    this.inFlight++;
  }

  leave(): void {
    this.inFlight--;
    if (this.retired && this.inFlight === 0) this.release();
  }

  retire(): void {
    this.retired = true;
    if (this.inFlight === 0) this.release();
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    this.onReleased(this);
  }
}

export interface RevisionSource {
  deploymentId: string;
  project: string;
  name: string;
  revision: number;
  spec: DeploymentSpec;
}

export class LiveDeployments {
  private readonly table = new Map<string, LiveRevision>();

  constructor(
    private readonly deps: {
      runtimes: RuntimeCache;
      metrics: ServingMetrics;
      /** The artifact and signature of a model version (read when a revision is built, never per request). */
      source: (modelId: string, version: number) => Promise<RuntimeSource>;
    },
  ) {}

  get(project: string, name: string): LiveRevision | undefined {
    return this.table.get(`${project}/${name}`);
  }

  all(): LiveRevision[] {
    return [...this.table.values()];
  }

  /** Loads and warms every runtime a revision needs; the revision does not serve until `install`. */
  async build(src: RevisionSource): Promise<LiveRevision> {
    const acquired: ModelRuntime[] = [];
    const { runtimes, metrics } = this.deps;
    const deployment = `${src.project}/${src.name}`;
    const live = async (t: SpecTarget): Promise<LiveTarget> => {
      const runtime = await runtimes.acquire(await this.deps.source(t.modelId, t.version));
      acquired.push(runtime);
      const labels = { deployment, model: t.model, version: String(t.version) };
      const batchRows = metrics.batchRows.labels(labels);
      const depth = metrics.queueDepth.labels(labels);
      const observer = { batch: (rows: number) => batchRows.observe(rows), depth: (rows: number) => depth.set(rows) };
      const series = { ok: metrics.predictions.labels({ ...labels, status: '200' }), rows: metrics.rows.labels(labels), latency: metrics.latency.labels(labels) };
      const runner = src.spec.batching
        ? new BatchingRunner(
            runtime,
            { ...src.spec.batching, maxBatchSize: Math.min(src.spec.batching.maxBatchSize, runtime.schema.maxRows), maxQueue: src.spec.maxQueue, timeoutMs: src.spec.timeoutMs },
            observer,
          )
        : new DirectRunner(runtime, src.spec.maxQueue, observer);
      return { ...t, runtime, runner, labels, series };
    };
    // Wait for every load to settle, so that a failure releases every runtime acquired, late ones included.
    const settled = await Promise.allSettled([...src.spec.targets, ...src.spec.shadow].map(live));
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await Promise.all(acquired.map((r) => runtimes.release(r)));
      throw failed.reason;
    }
    const all = settled.map((r) => (r as PromiseFulfilledResult<LiveTarget>).value);
    const targets = all.slice(0, src.spec.targets.length);
    const shadows = all.slice(src.spec.targets.length);
    return new LiveRevision(src.deploymentId, src.project, src.name, src.revision, src.spec, targets, shadows, (r) => this.releaseRuntimes(r));
  }

  /** Makes a built revision live; the one it replaces finishes its in-flight requests, then lets go. */
  install(next: LiveRevision): void {
    const previous = this.table.get(next.key);
    if (previous === next) return;
    if (previous && previous.revision > next.revision && previous.deploymentId === next.deploymentId) {
      // A newer revision won the race; this one never serves.
      next.retire();
      return;
    }
    this.table.set(next.key, next);
    previous?.retire();
  }

  remove(project: string, name: string): void {
    const key = `${project}/${name}`;
    const previous = this.table.get(key);
    this.table.delete(key);
    previous?.retire();
  }

  /** Drops a built revision that will never be installed. */
  discard(r: LiveRevision): void {
    r.retire();
  }

  private releaseRuntimes(r: LiveRevision): void {
    for (const t of [...r.targets, ...r.shadows]) void this.deps.runtimes.release(t.runtime);
  }

  async closeAll(): Promise<void> {
    for (const r of this.table.values()) r.retire();
    this.table.clear();
  }
}
