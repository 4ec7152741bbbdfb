import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { errorCodes, type ErrorCode } from '../../../errors/codes.js';

/**
 * Operators read failure types in the Temporal UI and look them up in the failure-type table of
 * docs/OPERATIONS.md: every code a workflow can fail with must be there, with the retry behaviour the
 * code has.
 */
const operations = readFileSync(new URL('../../../docs/OPERATIONS.md', import.meta.url), 'utf8');

/**
 * Codes that only ever reach HTTP clients or start-up, never a workflow or activity failure. The
 * transitions activities run accept every stored state (integrations/transitions.ts), so a refused
 * transition is never an activity's failure.
 */
const notWorkflowFailures: ErrorCode[] = [
  'TEMPORAL_UNAVAILABLE', 'CONFIG_INVALID', 'VALIDATION_FAILED', 'DUO_UNREACHABLE', 'DUO_ACCOUNT_CHANGED', 'INTEGRATION_TRANSITION_REFUSED', 'TENANT_PURGING', 'USER_NOT_FOUND',
  // A retry refused over HTTP; and the pause, which activities turn into a "paused" result, never a failure.
  'INITIAL_SYNC_NOT_FAILED', 'SYNC_PAUSED',
];

function failureTypesTable(): Map<string, string> {
  const start = operations.indexOf('| type (= HTTP `error.code` upper-cased) |');
  expect(start, 'docs/OPERATIONS.md failure-type table').toBeGreaterThan(-1);
  const rows = operations.slice(start).split('\n\n')[0]!.split('\n').slice(2);
  const retriedByCode = new Map<string, string>();
  for (const row of rows) {
    const [types, retried] = row.split('|').slice(1, 3).map((cell) => cell.trim());
    for (const [, code] of types!.matchAll(/`([A-Z_]+)`/g)) retriedByCode.set(code!, retried!);
  }
  return retriedByCode;
}

describe('docs/OPERATIONS.md failure-type table', () => {
  it('lists every code a workflow can fail with', () => {
    const listed = failureTypesTable();
    const missing = (Object.keys(errorCodes) as ErrorCode[]).filter((code) => !notWorkflowFailures.includes(code) && !listed.has(code));
    expect(missing).toEqual([]);
  });

  it('names only codes that exist', () => {
    const unknown = [...failureTypesTable().keys()].filter((code) => !(code in errorCodes));
    expect(unknown).toEqual([]);
  });

  it('says "no" exactly for the codes Temporal does not retry', () => {
    const wrong = [...failureTypesTable()].filter(([code, retried]) => {
      const retryable = errorCodes[code as ErrorCode]?.retryable;
      return retried === 'no' ? retryable !== false : retried === 'yes' && retryable !== true;
    });
    expect(wrong).toEqual([]);
  });
});
