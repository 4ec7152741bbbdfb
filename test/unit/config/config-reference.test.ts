import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  configReferenceRows,
  extractConfigReference,
  operationsDocPath,
  renderConfigReference,
  replaceConfigReference,
} from '../../../config/config-reference.js';
import { configSchema, duoCliEnvSchema } from '../../../config/config.js';

const schemaVariables = Object.keys(configSchema.shape).sort();
const cliOnlyVariables = Object.keys(duoCliEnvSchema.shape).filter((variable) => !schemaVariables.includes(variable));

describe('configuration reference', () => {
  it('in docs/OPERATIONS.md is exactly what the schema generates (run `npm run config:reference` after changing config/config.ts)', () => {
    const committed = extractConfigReference(readFileSync(operationsDocPath, 'utf8'));
    expect(committed).toBe(renderConfigReference());
  });

  it('has one row per schema variable, with required, default and bounds taken from the schema', () => {
    const rows = configReferenceRows();
    expect(rows.map((row) => row.variable).sort()).toEqual([...schemaVariables, ...cliOnlyVariables].sort());
    const byName = new Map(rows.map((row) => [row.variable, row]));
    expect(byName.get('API_TOKEN')).toMatchObject({ required: true, defaultValue: undefined });
    expect(byName.get('DUO_LOG_REQUESTS_PER_MINUTE')).toMatchObject({ required: false, defaultValue: '2', accepts: 'number > 0, ≤ 6000' });
    expect(byName.get('LOG_LEVEL')?.accepts).toContain('`silent`');
    expect(byName.get('METRICS_PORT')).toMatchObject({ required: false, defaultValue: undefined, readBy: 'worker' });
  });

  it('lists DUO_SECRET_KEY, read only by `npm run duo -- check`, after the service variables', () => {
    expect(cliOnlyVariables).toEqual(['DUO_SECRET_KEY']);
    const rows = configReferenceRows();
    expect(rows.at(-1)).toMatchObject({ variable: 'DUO_SECRET_KEY', required: false, readBy: 'duo check', accepts: '40 characters' });
    expect(rows.find((row) => row.variable === 'DUO_API_ORIGIN_OVERRIDE')?.readBy).toBe('api, worker, duo check');
  });

  it('replaces only what lies between the markers', () => {
    const document = readFileSync(operationsDocPath, 'utf8');
    const stale = replaceConfigReference(document, '| stale |');
    expect(extractConfigReference(stale)).toBe('| stale |');
    expect(replaceConfigReference(stale)).toBe(replaceConfigReference(document));
  });
});

describe('.env.example', () => {
  it('names every configuration variable (set, or commented out with its default or an example)', () => {
    const example = readFileSync(fileURLToPath(new URL('../../../.env.example', import.meta.url)), 'utf8');
    const named = new Set([...example.matchAll(/^#? ?([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1]));
    expect(schemaVariables.filter((variable) => !named.has(variable))).toEqual([]);
  });

  it('holds no secret values', () => {
    const example = readFileSync(fileURLToPath(new URL('../../../.env.example', import.meta.url)), 'utf8');
    for (const secret of ['API_TOKEN', 'ENCRYPTION_KEY', 'ENCRYPTION_PREVIOUS_KEYS', 'POSTGRES_PASSWORD', 'TEMPORAL_DB_PASSWORD', 'APP_DB_PASSWORD']) {
      expect(example).toMatch(new RegExp(`^${secret}=$`, 'm'));
    }
  });
});
