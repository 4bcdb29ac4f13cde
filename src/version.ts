/** Steward's version, shown by `steward --version`, /healthz and the OpenAPI document. */
export const STEWARD_VERSION = '0.1.0';
