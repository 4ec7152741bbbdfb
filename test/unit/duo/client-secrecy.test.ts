import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createDuoClient, withoutSecrets } from '../../../duo/client.js';
import { DuoInvalidApiHostError } from '../../../duo/errors.js';

const secretKey = 'Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ZNmk3zLJ4Ep';
const options = { apiHost: 'api-abcdef12.duosecurity.com', integrationKey: 'DIWJ8X6AEYOR5OMC6TQ1', secretKey };

describe('createDuoClient secrecy', () => {
  it('keeps the secret key out of JSON.stringify', () => {
    expect(JSON.stringify(createDuoClient(options))).not.toContain(secretKey);
  });

  it('keeps the secret key out of util.inspect, however deep', () => {
    expect(inspect(createDuoClient(options), { depth: Infinity, showHidden: true, getters: true })).not.toContain(secretKey);
  });

  it('exposes the normalised API host', () => {
    expect(createDuoClient({ ...options, apiHost: 'API-ABCDEF12.duosecurity.com' }).apiHost).toBe('api-abcdef12.duosecurity.com');
  });

  it('refuses a non-Duo API host when built, before any request', () => {
    expect(() => createDuoClient({ ...options, apiHost: 'api-x.duosecurity.com.evil.com' })).toThrow(DuoInvalidApiHostError);
  });

  it('refuses an origin override with a path or credentials', () => {
    expect(() => createDuoClient({ ...options, originOverride: 'http://127.0.0.1:9100/admin' })).toThrow(/origin/);
    expect(() => createDuoClient({ ...options, originOverride: 'http://user:pw@127.0.0.1:9100' })).toThrow(/origin/);
    expect(() => createDuoClient({ ...options, originOverride: 'file:///etc/passwd' })).toThrow(/origin/);
  });
});

describe('withoutSecrets', () => {
  it('drops every field named for a secret, at any depth, and keeps the rest', () => {
    const application = {
      integration_key: 'DIABCDEFGHIJKLMNOPQR',
      name: 'SSO',
      secret_key: secretKey,
      sso: { oauth_config: { clients: [{ client_id: 'c1', client_secret: 's1' }] }, saml_config: { signing_private_key: 'k' } },
    };
    expect(withoutSecrets(application)).toEqual({
      integration_key: 'DIABCDEFGHIJKLMNOPQR',
      name: 'SSO',
      sso: { oauth_config: { clients: [{ client_id: 'c1' }] }, saml_config: {} },
    });
  });
});
