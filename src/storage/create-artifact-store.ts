import type { ArtifactStore } from './artifact-store.js';
import { LocalArtifactStore } from './local-artifact-store.js';
import type { Sha256Hasher } from './sha256-hasher.js';

/** Chooses the store by URI scheme, as MLflow does. */
export async function createArtifactStore(uri: string, options: { hasher?: Sha256Hasher } = {}): Promise<ArtifactStore> {
  const scheme = uri.slice(0, uri.indexOf(':'));
  switch (scheme) {
    case 'file':
      return LocalArtifactStore.create(uri, options);
    default:
      throw new Error(
        `STEWARD_ARTIFACT_URI: the '${scheme}' scheme is not supported by this version of Steward; use a local path or file:// URI`,
      );
  }
}
