import { describe, expect, it } from 'vitest';
import { connectDuoBodySchema, tenantIdSchema } from '../../../../api/schemas/integration.js';

const body = { integrationKey: 'DIABCDEFGHIJ0123WXYZ', secretKey: 'k'.repeat(40), apiHost: 'API-1A2B3C4D.duosecurity.com' };

describe('tenantIdSchema', () => {
  it.each(['acme', 'A_b-9', 'x'.repeat(64)])('accepts %s', (id) => {
    expect(tenantIdSchema.safeParse(id).success).toBe(true);
  });

  it.each(['', 'x'.repeat(65), 'a.b', 'a b', 'a/b', 'été', 'a:b'])('refuses %j', (id) => {
    expect(tenantIdSchema.safeParse(id).success).toBe(false);
  });
});

describe('connectDuoBodySchema', () => {
  it('accepts the three fields and lower-cases the host', () => {
    expect(connectDuoBodySchema.parse(body)).toEqual({ ...body, apiHost: 'api-1a2b3c4d.duosecurity.com' });
  });

  it('refuses unknown fields rather than dropping them', () => {
    const result = connectDuoBodySchema.safeParse({ ...body, secret: 'x' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]).toMatchObject({ code: 'unrecognized_keys', keys: ['secret'] });
  });

  it('never puts a submitted value into an issue', () => {
    const secretKey = 'z'.repeat(39);
    const result = connectDuoBodySchema.safeParse({ ...body, secretKey, apiHost: 'evil.example' });
    expect(JSON.stringify(result.error?.issues)).not.toContain(secretKey);
    expect(JSON.stringify(result.error?.issues)).not.toContain('evil.example');
    expect(result.error?.issues.map((issue) => issue.path.join('.')).sort()).toEqual(['apiHost', 'secretKey']);
  });
});
