import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { OPENAPI_JSON, SCHEMA_TS, openapiJson, schemaTypes } from '../../test/support/openapi-types.js';

/** The web UI is typed from the API's OpenAPI document; these fail when the routes changed since. */
describe('web UI API types', () => {
  it('web/src/api/openapi.json is the document the routes give', async () => {
    const current = await openapiJson();
    const committed = await readFile(OPENAPI_JSON, 'utf8').catch(() => '');
    if (committed !== current) {
      expect.fail('web/src/api/openapi.json is stale (the API routes changed): run npm run api-types, then check the web UI still typechecks (npm run typecheck)');
    }
  });

  it('web/src/api/schema.d.ts is what openapi-typescript makes of it', async () => {
    const json = await readFile(OPENAPI_JSON, 'utf8');
    const committed = await readFile(SCHEMA_TS, 'utf8').catch(() => '');
    if (committed !== (await schemaTypes(json))) expect.fail('web/src/api/schema.d.ts is stale: run npm run api-types');
  });
});
