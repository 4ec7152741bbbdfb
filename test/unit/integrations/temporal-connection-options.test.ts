import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../config/config.js';
import { ConfigError } from '../../../errors/app-error.js';
import { temporalConnectionOptions } from '../../../integrations/temporal.js';

const minimal = { API_TOKEN: 'a-token-of-sixteen+', ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'), TEMPORAL_ADDRESS: 'temporal.internal:7233' };
const files: Record<string, string> = { '/ca.pem': 'CA PEM', '/client.pem': 'CLIENT PEM', '/client.key': 'CLIENT KEY' };
const readFile = (path: string): Buffer => {
  const content = files[path];
  if (content === undefined) throw new Error(`ENOENT: ${path}`);
  return Buffer.from(content);
};
const options = (env: Record<string, string>) => temporalConnectionOptions(loadConfig({ ...minimal, ...env }), readFile);

describe('Temporal connection options', () => {
  it('connects in plaintext to TEMPORAL_ADDRESS when nothing else is set', () => {
    expect(options({})).toEqual({ address: 'temporal.internal:7233' });
  });

  it('TEMPORAL_TLS=true alone uses TLS with the system roots', () => {
    expect(options({ TEMPORAL_TLS: 'true' })).toEqual({ address: 'temporal.internal:7233', tls: {} });
  });

  it('carries the CA, the client certificate pair and the server name read from their files', () => {
    expect(
      options({
        TEMPORAL_TLS_CA_FILE: '/ca.pem',
        TEMPORAL_TLS_CERT_FILE: '/client.pem',
        TEMPORAL_TLS_KEY_FILE: '/client.key',
        TEMPORAL_TLS_SERVER_NAME: 'frontend.temporal.internal',
      }),
    ).toEqual({
      address: 'temporal.internal:7233',
      tls: {
        serverNameOverride: 'frontend.temporal.internal',
        serverRootCACertificate: Buffer.from('CA PEM'),
        clientCertPair: { crt: Buffer.from('CLIENT PEM'), key: Buffer.from('CLIENT KEY') },
      },
    });
  });

  it('an API key implies TLS (Temporal Cloud)', () => {
    expect(options({ TEMPORAL_API_KEY: 'cloud-key' })).toEqual({ address: 'temporal.internal:7233', tls: {}, apiKey: 'cloud-key' });
  });

  it('an API key with TEMPORAL_TLS=false is sent without TLS', () => {
    expect(options({ TEMPORAL_API_KEY: 'cloud-key', TEMPORAL_TLS: 'false' })).toEqual({ address: 'temporal.internal:7233', apiKey: 'cloud-key' });
  });

  it('refuses half a client certificate pair, naming the missing variable', () => {
    expect(() => loadConfig({ ...minimal, TEMPORAL_TLS_CERT_FILE: '/client.pem' })).toThrow(/TEMPORAL_TLS_KEY_FILE is required/);
  });

  it('refuses TEMPORAL_TLS=false beside TLS files', () => {
    expect(() => loadConfig({ ...minimal, TEMPORAL_TLS: 'false', TEMPORAL_TLS_CA_FILE: '/ca.pem' })).toThrow(/TEMPORAL_TLS is false/);
  });

  it('an unreadable file is a configuration error naming the variable, not the path content', () => {
    let error: unknown;
    try {
      options({ TEMPORAL_TLS_CA_FILE: '/missing.pem' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variables).toEqual(['TEMPORAL_TLS_CA_FILE']);
  });
});
