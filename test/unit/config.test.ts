import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/config.js';
import { ConfigError } from '../../errors/app-error.js';

const key = Buffer.alloc(32, 7).toString('base64');
const minimal = { API_TOKEN: 'a-token-of-sixteen+', ENCRYPTION_KEY: key };

describe('loadConfig', () => {
  it('applies local defaults when only the secrets are given', () => {
    const config = loadConfig(minimal);
    expect(config.TEMPORAL_ADDRESS).toBe('127.0.0.1:7233');
    expect(config.TEMPORAL_TASK_QUEUE).toBe('duo-sync');
    expect(config.DUO_LOG_REQUESTS_PER_MINUTE).toBe(2);
  });

  it('names every missing secret without echoing values', () => {
    try {
      loadConfig({ ENCRYPTION_KEY: 'c2hvcnQ=' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const err = error as ConfigError;
      expect(err.variables).toEqual(expect.arrayContaining(['API_TOKEN', 'ENCRYPTION_KEY']));
      expect(err.message).not.toContain('c2hvcnQ=');
    }
  });

  it('refuses the Duo origin override in production', () => {
    expect(() =>
      loadConfig({ ...minimal, NODE_ENV: 'production', DUO_API_ORIGIN_OVERRIDE: 'http://127.0.0.1:9100' }),
    ).toThrow(/DUO_API_ORIGIN_OVERRIDE/);
  });

  it('parses previous encryption keys for rotation', () => {
    const config = loadConfig({ ...minimal, ENCRYPTION_PREVIOUS_KEYS: `old1:${key}` });
    expect(config.ENCRYPTION_PREVIOUS_KEYS).toEqual([{ id: 'old1', key }]);
  });
});
