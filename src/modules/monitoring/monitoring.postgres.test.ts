import { afterAll, describe, expect, it } from 'vitest';
import { closeAdmin, inCi, MISSING_IN_CI, postgresUrl } from '../../../test/support/postgres.js';
import { monitoringContract } from './monitoring.contract.js';

if (postgresUrl !== undefined) {
  afterAll(closeAdmin);
  monitoringContract('PostgreSQL', () => ({ postgresUrl }));
} else if (inCi) {
  describe('monitoring on PostgreSQL', () => {
    it('has STEWARD_TEST_POSTGRES_URL in CI', () => expect(postgresUrl, MISSING_IN_CI).toBeDefined());
  });
} else {
  describe.skipIf(true)('monitoring on PostgreSQL (set STEWARD_TEST_POSTGRES_URL to run)', () => {
    it('runs the monitoring tests on PostgreSQL', () => expect(postgresUrl).toBeDefined());
  });
}
