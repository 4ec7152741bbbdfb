import { describe, expect, it } from 'vitest';
import { LOCAL_DATABASE_URL, loadConfig, loadDatabaseUrl } from '../../../config/config.js';
import { ConfigError } from '../../../errors/app-error.js';

const minimal = { API_TOKEN: 'a-token-of-sixteen+', ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64') };

describe('DATABASE_URL', () => {
  it('is required in production, naming the variable', () => {
    expect(() => loadConfig({ ...minimal, NODE_ENV: 'production' })).toThrow(ConfigError);
    try {
      loadConfig({ ...minimal, NODE_ENV: 'production' });
    } catch (error) {
      expect((error as ConfigError).variables).toEqual(['DATABASE_URL']);
      expect((error as ConfigError).message).toContain('DATABASE_URL is required when NODE_ENV=production');
    }
    expect(() => loadDatabaseUrl({ NODE_ENV: 'production' })).toThrow(/DATABASE_URL is required/);
  });

  it('is taken as given in production', () => {
    const url = 'postgres://app@db.internal:5432/duo_sync';
    expect(loadConfig({ ...minimal, NODE_ENV: 'production', DATABASE_URL: url }).DATABASE_URL).toBe(url);
    expect(loadDatabaseUrl({ NODE_ENV: 'production', DATABASE_URL: url })).toBe(url);
  });

  it('falls back to the local Postgres elsewhere (npm start replaces an unset one with embedded PGlite)', () => {
    expect(loadConfig(minimal).DATABASE_URL).toBe(LOCAL_DATABASE_URL);
    expect(loadDatabaseUrl({})).toBe(LOCAL_DATABASE_URL);
  });

  it('must be a URL', () => {
    expect(() => loadConfig({ ...minimal, DATABASE_URL: 'not a url' })).toThrow(/DATABASE_URL/);
  });
});
