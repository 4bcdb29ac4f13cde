import type { MetadataStore } from '../../../db/metadata-store.js';
import type { Clock } from '../../../platform/clock.js';
import type { Logger } from '../../../platform/logger.js';
import type { ArtifactStore } from '../../../storage/artifact-store.js';
import type { AccessService } from '../../access/access.service.js';
import type { ModelsService } from '../../models/models.service.js';
import type { RegistrationService } from '../../models/registration.service.js';
import type { TrackingService } from '../tracking.service.js';

export interface MlflowRegistryDeps {
  store: MetadataStore;
  artifacts: ArtifactStore;
  access: AccessService;
  models: ModelsService;
  registration: RegistrationService;
  tracking: TrackingService;
  clock: Clock;
  logger: Logger;
}

/** The MLflow model registry over Steward's registry. To be written. */
export class MlflowRegistryService {
  constructor(readonly deps: MlflowRegistryDeps) {}
}
