import type { MetadataStore, Repositories } from '../../db/metadata-store.js';
import type { ModelVersionRow } from '../../db/schema.js';
import { isoTime, type Clock } from '../../platform/clock.js';
import { DomainError, invalid, invalidField, unprocessable } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import type { Logger } from '../../platform/logger.js';
import type { UploadPart } from '../../platform/upload-part.js';
import { printable } from '../../platform/names.js';
import { SYSTEM_ACTOR, type Principal } from '../../platform/principal.js';
import { isRecordOnlyFlavor, type ModelInspector } from '../../runtime/model-inspector.js';
import { compareSignatures, type Signature } from '../../runtime/signature.js';
import type { ArtifactStore, StagedArtifact } from '../../storage/artifact-store.js';
import { domainEvent } from '../events/domain-event.js';
import { versionView, type VersionView } from './model-views.js';
import type { ModelRef, ModelsService } from './models.service.js';
import { parseVersionMetadata, type VersionMetadata } from './version-metadata.js';

export interface Registered {
  version: VersionView;
  /**
   * receive: reading, hashing and writing the upload; load: loading the model once with its runtime;
   * store: waiting for the bytes to be on disk, committing the blob and recording the result.
   */
  timings: { receiveMs: number; loadMs: number; storeMs: number };
}

/** Bytes for a new version that Steward already holds: a blob in the artifact store, or a staged file. */
export type HeldArtifact = { kind: 'blob'; sha256: string; size: number } | { kind: 'staged'; staged: StagedArtifact };

export interface RegistrationDeps {
  store: MetadataStore;
  artifacts: ArtifactStore;
  inspector: ModelInspector;
  models: ModelsService;
  clock: Clock;
  logger: Logger;
  maxArtifactBytes: number;
}

/**
 * Registers model versions. The artifact is streamed to a staged file while it is hashed; the version
 * number is handed out once the bytes and metadata are known to be well-formed (so a cut upload uses no
 * number); the version is PENDING while onnxruntime loads the file in a worker; then the blob is committed
 * and the version becomes READY, or the blob is dropped and the version becomes FAILED with the loader's
 * message (422).
 */
export class RegistrationService {
  constructor(private readonly deps: RegistrationDeps) {}

  async register(actor: Principal, projectName: string | undefined, modelName: string, parts: AsyncIterable<UploadPart>): Promise<Registered> {
    const { models } = this.deps;
    await models.resolveModel(projectName, modelName); // 404 before reading the body
    let staged: StagedArtifact | undefined;
    let committed = false;
    const started = performance.now();
    try {
      let metadataText: string | undefined;
      for await (const part of parts) {
        if (part.kind === 'field') {
          if (part.name === 'metadata') {
            if (metadataText !== undefined) throw invalidField('metadata', 'was sent more than once');
            metadataText = part.value;
            parseVersionMetadata(metadataText); // fail fast, before a large file arrives
          } else if (part.name === 'artifact') {
            throw invalidField('artifact', 'must be sent as a file part (Content-Disposition with a filename)');
          } else {
            throw invalidField(printable(part.name), "is not a field of this upload (send 'artifact' and 'metadata')", 'UNKNOWN_FIELD');
          }
        } else {
          if (part.name !== 'artifact') throw invalidField(printable(part.name), "is not a file field of this upload (the model file goes in 'artifact')", 'UNKNOWN_FIELD');
          if (staged) throw invalidField('artifact', 'only one artifact file can be sent per version');
          staged = await this.deps.artifacts.stage(part.stream, { maxBytes: this.deps.maxArtifactBytes });
        }
      }
      if (!staged) throw invalidField('artifact', 'is missing: send the model file as the multipart file field "artifact"', 'MISSING_ARTIFACT');
      if (staged.size === 0) throw invalidField('artifact', 'is empty', 'EMPTY_ARTIFACT');
      const metadata = parseVersionMetadata(metadataText);
      if (metadata.sha256 !== undefined && metadata.sha256 !== staged.sha256) {
        throw invalid('CHECKSUM_MISMATCH', `metadata.sha256: the uploaded artifact hashes to ${staged.sha256}, not ${metadata.sha256}; the upload was probably cut or changed`, {
          field: 'metadata.sha256',
          expected: metadata.sha256,
          actual: staged.sha256,
        });
      }
      const receiveMs = performance.now() - started;
      const { version, loadMs, storeMs } = await this.createVersion(actor, projectName, modelName, metadata, staged);
      const timings = { receiveMs, loadMs, storeMs };
      this.deps.logger.info(
        { model: modelName, version: version.version, bytes: staged.size, receiveMs: Math.round(receiveMs), loadMs: Math.round(loadMs), storeMs: Math.round(storeMs) },
        'model version registered',
      );
      committed = true;
      return { version, timings };
    } finally {
      if (staged && !committed) await staged.discard();
    }
  }

  private async createVersion(
    actor: Principal,
    projectName: string | undefined,
    modelName: string,
    metadata: VersionMetadata,
    staged: StagedArtifact,
  ): Promise<{ version: VersionView; loadMs: number; storeMs: number }> {
    const { ref, row } = await this.insertVersion(actor, projectName, modelName, metadata, staged, 'PENDING');
    const checked = await this.checkVersion(actor, modelName, ref, row, metadata, staged.localPath, () => staged.commit());
    const { outcome, final, loadMs, storeMs } = checked;
    if (checked.serverFault) {
      throw new DomainError('internal', 'REGISTRATION_FAILED', `version ${row.version} of '${modelName}' could not be registered because of a server error`, {
        version: row.version,
        status: 'FAILED',
      });
    }
    if (!outcome.ok) {
      throw unprocessable('MODEL_INVALID', `version ${row.version} of '${modelName}' is FAILED: ${outcome.message}`, {
        field: 'artifact',
        version: row.version,
        status: 'FAILED',
      });
    }
    return { version: await this.deps.models.versionView(ref, final), loadMs, storeMs };
  }

  /**
   * Registers a version from bytes Steward already holds: a blob in the artifact store (a file logged to a run
   * through the MLflow artifact proxy) or a staged file. This is the upload's path after the upload: a flavor
   * Steward serves is PENDING while the inspector loads it, then READY or FAILED exactly as an uploaded file
   * would be; a flavor it does not serve (MLFLOW_FLAVOR) is recorded READY at once and never loaded. `onInsert`
   * runs inside the transaction that inserts the version (to record where it came from).
   *
   * Answers once the version exists (`row` as inserted); `settled` gives its final state and never rejects (a server fault while
   * checking leaves the version FAILED with a message saying so, and is logged).
   */
  async registerArtifact(
    actor: Principal,
    projectName: string | undefined,
    modelName: string,
    input: { metadata: VersionMetadata; artifact: HeldArtifact; onInsert?: (tx: Repositories, row: ModelVersionRow) => Promise<void> },
  ): Promise<{ version: VersionView; row: ModelVersionRow; settled: Promise<VersionView> }> {
    const { metadata, artifact } = input;
    const staged = artifact.kind === 'staged' ? artifact.staged : undefined;
    const bytes = artifact.kind === 'staged' ? { sha256: artifact.staged.sha256, size: artifact.staged.size } : { sha256: artifact.sha256, size: artifact.size };
    if (isRecordOnlyFlavor(metadata.flavor)) {
      // Never loaded: the bytes are kept as they are and the version is READY from the start.
      if (staged) await staged.commit();
      const { ref, row } = await this.insertVersion(actor, projectName, modelName, metadata, bytes, 'READY', input.onInsert);
      const version = await this.deps.models.versionView(ref, row);
      return { version, row, settled: Promise.resolve(version) };
    }
    let inserted: { ref: ModelRef; row: ModelVersionRow };
    let localPath: string;
    try {
      localPath = staged ? staged.localPath : await this.deps.artifacts.localPath(bytes.sha256);
      inserted = await this.insertVersion(actor, projectName, modelName, metadata, bytes, 'PENDING', input.onInsert);
    } catch (err) {
      if (staged) await staged.discard();
      throw err;
    }
    const { ref, row } = inserted;
    const settled = (async () => {
      try {
        const { final } = await this.checkVersion(actor, modelName, ref, row, metadata, localPath, async () => {
          if (staged) await staged.commit();
        });
        return await this.deps.models.versionView(ref, final);
      } finally {
        if (staged) await staged.discard(); // after a commit this does nothing
      }
    })().catch(async (err: unknown) => {
      this.deps.logger.error({ err, model: modelName, version: row.version }, 'model version registration did not complete');
      const now = await this.deps.store.versions.getById(row.id).catch(() => undefined);
      return this.deps.models.versionView(ref, now ?? row).catch(() => this.pendingView(ref, row));
    });
    return { version: await this.deps.models.versionView(ref, row), row, settled };
  }

  private pendingView(ref: ModelRef, row: ModelVersionRow): VersionView {
    return versionView(row, ref.model.name, ref.project.name, {}, []);
  }

  /** Allocates the version number and inserts the version (PENDING, or READY for a flavor that is never loaded). */
  private async insertVersion(
    actor: Principal,
    projectName: string | undefined,
    modelName: string,
    metadata: VersionMetadata,
    artifact: { sha256: string; size: number },
    status: 'PENDING' | 'READY',
    onInsert?: (tx: Repositories, row: ModelVersionRow) => Promise<void>,
  ): Promise<{ ref: ModelRef; row: ModelVersionRow }> {
    const { store, clock, models } = this.deps;
    return store.transaction(async (tx) => {
      const ref = await models.resolveModel(projectName, modelName, tx);
      if (metadata.parentVersion !== undefined && !(await tx.versions.get(ref.model.id, metadata.parentVersion))) {
        throw invalidField('metadata.parentVersion', `model '${modelName}' has no version ${metadata.parentVersion}`);
      }
      const links: { id: string; role: string }[] = [];
      for (const [i, link] of metadata.datasets.entries()) {
        const dataset = await tx.datasets.get(ref.project.id, link.dataset);
        if (!dataset) throw invalidField(`metadata.datasets[${i}].dataset`, `there is no dataset named '${link.dataset}' in project '${ref.project.name}'`);
        const dv = await tx.datasets.getVersion(dataset.id, link.version);
        if (!dv) throw invalidField(`metadata.datasets[${i}].version`, `dataset '${link.dataset}' has no version ${link.version}`);
        if (!links.some((l) => l.id === dv.id && l.role === link.role)) links.push({ id: dv.id, role: link.role });
      }
      const version = await tx.models.allocateVersion(ref.model.id);
      const now = isoTime(clock);
      const row: ModelVersionRow = {
        id: newId(clock.now()),
        model_id: ref.model.id,
        version,
        status,
        status_message: null,
        flavor: metadata.flavor,
        artifact_sha256: artifact.sha256,
        artifact_size: artifact.size,
        signature: metadata.signature ? JSON.stringify(metadata.signature) : null,
        input_example: metadata.inputExample ? JSON.stringify(metadata.inputExample) : null,
        metrics: JSON.stringify(metadata.metrics),
        params: JSON.stringify(metadata.params),
        source_run: metadata.sourceRun ?? null,
        dataset_version: metadata.datasetVersion ?? null,
        parent_version: metadata.parentVersion ?? null,
        description: metadata.description,
        stage: 'None',
        created_at: now,
        created_by: actor.name,
        updated_at: now,
        updated_by: actor.name,
      };
      await tx.versions.insert(row);
      for (const l of links) await tx.datasets.link(row.id, l.id, l.role);
      await tx.versions.changeTags(row.id, metadata.tags);
      await tx.models.update(ref.model.id, { updated_at: now, updated_by: actor.name });
      await onInsert?.(tx, row);
      const subject = { type: 'model_version', id: row.id, projectId: ref.project.id };
      await tx.events.append(domainEvent(clock, actor.name, 'model_version.created', subject, { model: modelName, version, status, sha256: artifact.sha256, size: artifact.size }));
      if (status === 'READY') {
        // Not loaded (a flavor Steward does not serve): registered as it is.
        await tx.events.append(
          domainEvent(clock, actor.name, 'model_version.registered', subject, { model: modelName, version, sha256: artifact.sha256, size: artifact.size, flavor: row.flavor, servable: false }),
        );
      }
      return { ref, row };
    });
  }

  /**
   * Loads a PENDING version's file once with its runtime, then records READY (committing the bytes with
   * `commit`) or FAILED with the loader's message. A fault on the server's side is returned as serverFault
   * (the version is FAILED then too, so that nothing stays PENDING).
   */
  private async checkVersion(
    actor: Principal,
    modelName: string,
    ref: ModelRef,
    row: ModelVersionRow,
    metadata: VersionMetadata,
    localPath: string,
    commit: () => Promise<void>,
  ): Promise<{ outcome: { ok: true; signature: Signature } | { ok: false; message: string }; final: ModelVersionRow; loadMs: number; storeMs: number; serverFault?: Error }> {
    const { store, clock } = this.deps;
    let outcome: { ok: true; signature: Signature } | { ok: false; message: string };
    const loadStarted = performance.now();
    let loadMs = 0;
    let serverFault: Error | undefined;
    try {
      const inspected = await this.deps.inspector.inspect({ flavor: metadata.flavor, path: localPath, example: metadata.inputExample });
      loadMs = performance.now() - loadStarted;
      outcome = inspected;
      if (inspected.ok && metadata.signature) {
        const problems = compareSignatures(metadata.signature, inspected.signature);
        outcome = problems.length === 0 ? { ok: true, signature: metadata.signature } : { ok: false, message: `the declared signature does not match the model: ${problems.join('; ')}` };
      }
      if (outcome.ok) await commit();
    } catch (err) {
      // Not the model's fault (the inspection worker died, the disk is full, …): the version is FAILED so
      // that nothing stays PENDING, and the client gets a 5xx; the details go to the log, not to clients.
      serverFault = err as Error;
      this.deps.logger.error({ err, model: modelName, version: row.version }, 'model version registration failed on the server');
      outcome = { ok: false, message: 'registration could not be completed because of a server error; register the file again' };
    }

    const status = outcome.ok ? 'READY' : 'FAILED';
    const now = isoTime(clock);
    const final: ModelVersionRow = {
      ...row,
      status,
      status_message: outcome.ok ? null : outcome.message,
      signature: outcome.ok ? JSON.stringify(outcome.signature) : row.signature,
      updated_at: now,
    };
    await store.transaction(async (tx) => {
      await tx.versions.update(row.id, { status: final.status, status_message: final.status_message, signature: final.signature, updated_at: now });
      await tx.events.append(
        domainEvent(clock, actor.name, outcome.ok ? 'model_version.registered' : 'model_version.failed', { type: 'model_version', id: row.id, projectId: ref.project.id }, {
          model: modelName,
          version: row.version,
          sha256: row.artifact_sha256,
          size: row.artifact_size,
          flavor: row.flavor,
          ...(outcome.ok ? {} : { reason: outcome.message }),
        }),
      );
    });
    const storeMs = performance.now() - loadStarted - loadMs;
    return { outcome, final, loadMs, storeMs, ...(serverFault ? { serverFault } : {}) };
  }

  /**
   * Versions left PENDING by a process that stopped mid-registration become FAILED. With SQLite a single
   * process owns the store, so at start every PENDING version is such a leftover.
   */
  async recoverInterrupted(before: string): Promise<number> {
    const { store, clock } = this.deps;
    const leftovers = await store.versions.pendingBefore(before);
    for (const v of leftovers) {
      await store.transaction(async (tx) => {
        const message = 'registration was interrupted: the server stopped before the model was checked';
        await tx.versions.update(v.id, { status: 'FAILED', status_message: message, updated_at: isoTime(clock), updated_by: SYSTEM_ACTOR });
        const projectId = (await tx.models.getById(v.model_id))?.project_id ?? null;
        await tx.events.append(
          domainEvent(clock, SYSTEM_ACTOR, 'model_version.failed', { type: 'model_version', id: v.id, projectId }, { version: Number(v.version), reason: message }),
        );
      });
    }
    return leftovers.length;
  }
}
