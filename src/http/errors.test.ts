/** Validation failures said in the field's terms, through a real route's schema. */
import { Type } from 'typebox';
import { describe, expect, it } from 'vitest';
import { routeTestApp } from '../../test/support/route-app.js';

describe('validation errors', () => {
  it('says a union of literals as "must be one of …" and names the field', async () => {
    const app = routeTestApp(async () => undefined);
    app.post(
      '/t',
      { config: { auth: 'public' }, schema: { body: Type.Object({ role: Type.Union([Type.Literal('viewer'), Type.Literal('admin')]), n: Type.Optional(Type.Integer()) }) } },
      async () => ({ ok: true }),
    );
    await app.ready();
    const bad = await app.inject({ method: 'POST', url: '/t', payload: { role: 'king' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ code: 'VALIDATION_FAILED', message: 'body.role: must be one of viewer, admin', details: { field: 'body.role' } });
    expect(bad.json().error.details.problems).toEqual([{ field: 'body.role', problem: 'must be one of viewer, admin' }]);
    const other = await app.inject({ method: 'POST', url: '/t', payload: { role: 'admin', n: 'x' } });
    expect(other.json().error.message).toBe('body.n: must be integer');
    expect((await app.inject({ method: 'POST', url: '/t', payload: { role: 'admin' } })).statusCode).toBe(200);
    await app.close();
  });
});
