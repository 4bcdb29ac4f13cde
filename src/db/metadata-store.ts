import { KyselyTokenRepository, KyselyUserRepository, type TokenRepository, type UserRepository } from '../modules/auth/auth.repository.js';
import { KyselyDeploymentRepository, type DeploymentRepository } from '../modules/deployments/deployments.repository.js';
import { KyselyDatasetRepository, type DatasetRepository } from '../modules/datasets/datasets.repository.js';
import { KyselyEventRepository, type EventRepository } from '../modules/events/events.repository.js';
import { KyselyJobRepository, type JobRepository } from '../modules/jobs/jobs.repository.js';
import { KyselyAliasRepository, type AliasRepository } from '../modules/models/aliases.repository.js';
import { KyselyMonitoringRepository, type MonitoringRepository } from '../modules/monitoring/monitoring.repository.js';
import { KyselyModelRepository, type ModelRepository } from '../modules/models/models.repository.js';
import { KyselyVersionRepository, type VersionRepository } from '../modules/models/versions.repository.js';
import { KyselyProjectRepository, type ProjectRepository } from '../modules/projects/projects.repository.js';
import { KyselyRecipeRepository, type RecipeRepository } from '../modules/recipes/recipes.repository.js';
import { KyselyAlertRepository, type AlertRepository } from '../modules/monitoring/alerts/alerts.repository.js';
import { KyselyExplanationRepository, type ExplanationRepository } from '../modules/explain/explain.repository.js';
import { KyselyCommentRepository, type CommentRepository } from '../modules/comments/comments.repository.js';
import { KyselyWebhookRepository, type WebhookRepository } from '../modules/webhooks/webhooks.repository.js';
import { KyselyGateRepository, type GateRepository } from '../modules/governance/gates/gates.repository.js';
import { KyselyModelCardRepository, type ModelCardRepository } from '../modules/governance/cards/cards.repository.js';
import { KyselyMemberRepository, type MemberRepository } from '../modules/access/members.repository.js';
import { KyselyGovernanceRepository, type GovernanceRepository } from '../modules/governance/governance.repository.js';
import { KyselyAuditRepository, type AuditRepository } from '../modules/audit/audit.repository.js';
import { KyselyTrackingRepository, type TrackingRepository } from '../modules/tracking/tracking.repository.js';
import { KyselyTrainingRepository, type TrainingRepository } from '../modules/training/training.repository.js';
import { ping, type Database, type DialectKind } from './database.js';
import { POSTGRES_WRITE_LOCK, type Executor } from './executor.js';

/** Every repository, bound to the database or to one transaction. */
export interface Repositories {
  readonly projects: ProjectRepository;
  readonly users: UserRepository;
  readonly tokens: TokenRepository;
  readonly models: ModelRepository;
  readonly versions: VersionRepository;
  readonly aliases: AliasRepository;
  readonly events: EventRepository;
  readonly jobs: JobRepository;
  readonly datasets: DatasetRepository;
  readonly recipes: RecipeRepository;
  readonly deployments: DeploymentRepository;
  readonly monitoring: MonitoringRepository;
  readonly alerts: AlertRepository;
  readonly explanations: ExplanationRepository;
  readonly members: MemberRepository;
  readonly governance: GovernanceRepository;
  readonly audit: AuditRepository;
  readonly comments: CommentRepository;
  readonly webhooks: WebhookRepository;
  readonly gates: GateRepository;
  readonly cards: ModelCardRepository;
  readonly tracking: TrackingRepository;
  readonly training: TrainingRepository;
}

/**
 * The metadata store: repositories plus transactions. Services write a change and its domain event in one
 * `transaction` so that either both happen or neither does.
 */
export interface MetadataStore extends Repositories {
  readonly dialect: DialectKind;
  readonly describe: string;
  transaction<T>(work: (tx: Repositories) => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  close(): Promise<void>;
}


function repositories(db: Executor, dialect: DialectKind): Repositories {
  return {
    projects: new KyselyProjectRepository(db),
    users: new KyselyUserRepository(db),
    tokens: new KyselyTokenRepository(db),
    models: new KyselyModelRepository(db),
    versions: new KyselyVersionRepository(db),
    aliases: new KyselyAliasRepository(db),
    events: new KyselyEventRepository(db, dialect),
    jobs: new KyselyJobRepository(db, dialect),
    datasets: new KyselyDatasetRepository(db),
    recipes: new KyselyRecipeRepository(db),
    deployments: new KyselyDeploymentRepository(db),
    monitoring: new KyselyMonitoringRepository(db, dialect),
    alerts: new KyselyAlertRepository(db),
    explanations: new KyselyExplanationRepository(db),
    members: new KyselyMemberRepository(db),
    governance: new KyselyGovernanceRepository(db),
    audit: new KyselyAuditRepository(db),
    comments: new KyselyCommentRepository(db),
    webhooks: new KyselyWebhookRepository(db),
    gates: new KyselyGateRepository(db),
    cards: new KyselyModelCardRepository(db),
    tracking: new KyselyTrackingRepository(db),
    training: new KyselyTrainingRepository(db),
  };
}

export function createMetadataStore(database: Database): MetadataStore {
  return {
    ...repositories(database.db, database.dialect),
    dialect: database.dialect,
    describe: database.describe,
    transaction: (work) =>
      database.db.transaction().execute(async (trx) => {
        // PostgreSQL: one writer at a time, so the audit chain has one head. Taken first, before any row
        // lock, so that it cannot deadlock with them. (SQLite's single connection serialises already.)
        if (database.dialect === 'postgres') await POSTGRES_WRITE_LOCK.execute(trx);
        return work(repositories(trx, database.dialect));
      }),
    ping: () => ping(database),
    close: () => database.close(),
  };
}
