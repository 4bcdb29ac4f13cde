/**
 * npm run api-types: regenerate the web UI's API types from the routes' schemas.
 * Writes web/src/api/openapi.json (the document served at /docs/json) and web/src/api/schema.d.ts.
 */
import { writeFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { OPENAPI_JSON, SCHEMA_TS, openapiJson, schemaTypes } from '../test/support/openapi-types.js';

const json = await openapiJson();
await writeFile(OPENAPI_JSON, json);
await writeFile(SCHEMA_TS, await schemaTypes(json));
const paths = Object.keys((JSON.parse(json) as { paths: object }).paths).length;
console.log(`wrote ${relative(process.cwd(), OPENAPI_JSON)} and ${relative(process.cwd(), SCHEMA_TS)} (${paths} paths)`);
