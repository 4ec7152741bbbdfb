import { Writable } from 'node:stream';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { createLogger, toTemporalLogger } from '../../../observability/logger.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: toTemporalLogger(createLogger({ LOG_LEVEL: 'info' }, sink)) };
}

describe('toTemporalLogger', () => {
  it('logs a typed activity failure with its type as the code and its message', () => {
    const { lines, logger } = capture();
    const failure = ApplicationFailure.create({ type: 'TENANT_NOT_FOUND', message: 'No Duo integration for tenant acme', nonRetryable: true });
    logger.warn('Activity failed', { error: failure, durationMs: 12 });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ msg: 'Activity failed', code: 'TENANT_NOT_FOUND', durationMs: 12, err: { message: 'No Duo integration for tenant acme' } });
  });

  it('logs an untyped error with its message and no code', () => {
    const { lines, logger } = capture();
    logger.warn('Activity failed', { error: new TypeError('x is undefined') });
    expect(lines[0]).toMatchObject({ err: { type: 'TypeError', message: 'x is undefined' } });
    expect(lines[0]).not.toHaveProperty('code');
  });

  it('passes other metadata through unchanged', () => {
    const { lines, logger } = capture();
    logger.info('Worker state changed', { state: 'RUNNING' });
    expect(lines[0]).toMatchObject({ msg: 'Worker state changed', state: 'RUNNING' });
    expect(lines[0]).not.toHaveProperty('err');
  });
});
