import { afterAll, describe, expect, it } from 'vitest';
import { closeAdmin, inCi, MISSING_IN_CI, postgresUrl } from '../../../test/support/postgres.js';
import { deploymentsApiContract } from './deployments.routes.contract.js';

if (postgresUrl !== undefined) {
  afterAll(closeAdmin);
  deploymentsApiContract('PostgreSQL', () => ({ postgresUrl }));
} else if (inCi) {
  describe('deployments on PostgreSQL', () => {
    it('has STEWARD_TEST_POSTGRES_URL in CI', () => expect(postgresUrl, MISSING_IN_CI).toBeDefined());
  });
} else {
  describe.skipIf(true)('deployments on PostgreSQL (set STEWARD_TEST_POSTGRES_URL to run)', () => {
    it('runs the deployments HTTP tests on PostgreSQL', () => expect(postgresUrl).toBeDefined());
  });
}
