/** A deployment revision's routing spec, resolved to concrete versions (as stored with the revision). */
export interface SpecTarget {
  model: string;
  modelId: string;
  version: number;
  /** The alias this target follows, or null when it names a version. */
  alias: string | null;
  weight: number;
}

export interface DeploymentSpec {
  targets: SpecTarget[];
  /** Receive a copy of every request; their outputs are logged, never returned. Weight is unused (0). */
  shadow: SpecTarget[];
  batching: { maxBatchSize: number; maxDelayMicros: number } | null;
  /** Whether inference may be called without a token. */
  public: boolean;
  /** How long a request may wait for the model before a 503. */
  timeoutMs: number;
  /** Rows that may wait or run per target before requests are refused with 503. */
  maxQueue: number;
}

export const SPEC_DEFAULTS = { timeoutMs: 10_000, maxQueue: 2_048 } as const;
