/**
 * The OpenAPI document of the app as the web UI's types are generated from it: `npm run api-types` writes
 * it to web/src/api/openapi.json and turns it into web/src/api/schema.d.ts with openapi-typescript; a test
 * checks that both files are what the current routes give.
 */
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';
import { createHarness } from './harness.js';

export const OPENAPI_JSON = fileURLToPath(new URL('../../web/src/api/openapi.json', import.meta.url));
export const SCHEMA_TS = fileURLToPath(new URL('../../web/src/api/schema.d.ts', import.meta.url));

/** GET /docs/json from an app that never listens, as stable text (two-space JSON, newline at the end). */
export async function openapiJson(): Promise<string> {
  const h = await createHarness();
  try {
    const res = await h.app.inject({ method: 'GET', url: '/docs/json' });
    if (res.statusCode !== 200) throw new Error(`GET /docs/json answered ${res.statusCode}: ${res.body}`);
    return `${JSON.stringify(res.json(), null, 2)}\n`;
  } finally {
    await h.close();
  }
}

/** The TypeScript declarations openapi-typescript makes of the document. */
export async function schemaTypes(json: string): Promise<string> {
  const ast = await openapiTS(json);
  return `${COMMENT_HEADER}${astToString(ast)}`;
}
