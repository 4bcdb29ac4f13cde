import { afterAll, describe, expect, it } from 'vitest';
import { closeAdmin, inCi, MISSING_IN_CI, postgresUrl } from '../../../test/support/postgres.js';
import { registryApiContract } from './models.routes.contract.js';

if (postgresUrl !== undefined) {
  afterAll(closeAdmin);
  registryApiContract('PostgreSQL', () => ({ postgresUrl }));
} else if (inCi) {
  describe('registry HTTP API on PostgreSQL', () => {
    it('has STEWARD_TEST_POSTGRES_URL in CI', () => expect(postgresUrl, MISSING_IN_CI).toBeDefined());
  });
} else {
  describe.skipIf(true)('registry HTTP API on PostgreSQL (set STEWARD_TEST_POSTGRES_URL to run)', () => {
    it('runs the registry HTTP tests on PostgreSQL', () => expect(postgresUrl).toBeDefined());
  });
}
